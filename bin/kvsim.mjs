#!/usr/bin/env node
// kvsim launcher: works as `npx kvsim` and `node bin/kvsim.mjs` by loading the TypeScript CLI via tsx.
import { register } from 'tsx/esm/api'

register()
const { runCli } = await import(new URL('../emulator/cli.ts', import.meta.url).href)
process.exit(await runCli(process.argv.slice(2)))
