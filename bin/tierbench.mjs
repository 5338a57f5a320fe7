#!/usr/bin/env node
// `npx tierbench …`: registers tsx so the TypeScript CLI runs without a build step.
import { register } from 'tsx/esm/api'

register()
const { runCli } = await import('../helpers/cli/tierbench-cli.ts')
process.exitCode = await runCli(process.argv.slice(2))
