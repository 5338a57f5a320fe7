#!/usr/bin/env node
// `npm run test:loaded`: the busy-machine proof of issue 12. Starts N CPU hogs (busy loops, one
// process each; default 2), runs the suites project R times in a row (default 3) beside them, and
// prints one line per run and a final verdict. Exit 0 only when every run passed.
//   TIERBENCH_LOADED_HOGS=2 TIERBENCH_LOADED_RUNS=3 npm run test:loaded [-- <extra vitest args>]
// The hogs are killed on every exit path (end, failure, Ctrl-C).
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'

const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')
const hogs = Number(process.env.TIERBENCH_LOADED_HOGS ?? 2)
const runs = Number(process.env.TIERBENCH_LOADED_RUNS ?? 3)
const extra = process.argv.slice(2)

const children = Array.from({ length: hogs }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }))
const killHogs = () => {
  for (const c of children) c.kill('SIGKILL')
}
process.on('exit', killHogs)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

const outcomes = []
for (let i = 1; i <= runs; i++) {
  const t0 = Date.now()
  process.stdout.write(`\n== test:loaded run ${i}/${runs} with ${hogs} CPU hogs (load ${loadavg()[0].toFixed(1)}) ==\n`)
  const r = spawnSync(process.execPath, [vitest, 'run', '--project', 'suites', ...extra], { stdio: 'inherit' })
  if (r.signal) process.exit(130)
  outcomes.push({ run: i, code: r.status ?? 1, s: Math.round((Date.now() - t0) / 1000) })
}
process.stdout.write(`\n== test:loaded: ${outcomes.map((o) => `run ${o.run} ${o.code === 0 ? 'passed' : `FAILED (exit ${o.code})`} in ${o.s} s`).join('; ')} ==\n`)
process.exit(outcomes.every((o) => o.code === 0) ? 0 : 1)
