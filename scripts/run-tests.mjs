#!/usr/bin/env node
// `npm test`: the harness's own tests (unit project), then every suite (suites project). Both run
// even when the first fails, and the last lines say which project failed, so a red run never hides
// that the suites were skipped. Extra arguments go to both vitest runs.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')
const extra = process.argv.slice(2)
const projects = (process.env.TIERBENCH_TEST_PROJECTS ?? 'unit,suites').split(',').filter(Boolean)
const results = []
for (const project of projects) {
  process.stdout.write(`\n== npm test: vitest project "${project}" ==\n`)
  const r = spawnSync(process.execPath, [vitest, 'run', '--project', project, ...extra], { stdio: 'inherit' })
  // A signal (Ctrl-C) stops everything: the user asked to stop, not to run the next project.
  if (r.signal) {
    process.stdout.write(`\nnpm test: project "${project}" stopped by ${r.signal}; later projects not run\n`)
    process.kill(process.pid, r.signal)
  }
  results.push({ project, code: r.status ?? 1 })
}
const failed = results.filter((r) => r.code !== 0)
process.stdout.write(`\n== npm test: ${results.map((r) => `${r.project} ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`}`).join(', ')} ==\n`)
process.exit(failed.length ? 1 : 0)
