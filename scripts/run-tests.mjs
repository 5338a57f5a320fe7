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
// The suites project runs the contention suites (H4A/H4B: fio) and the raw iostat/pidstat logs
// (sysstat). On Debian/Ubuntu as root they are installed here, as .ci/run does; otherwise the run
// stops before the suites with the one command that fixes it. The unit project needs neither.
const have = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0
const ensureTools = () => {
  const need = [...(have('fio') ? [] : ['fio']), ...(have('iostat') ? [] : ['sysstat'])]
  if (need.length === 0) return true
  const root = process.getuid?.() === 0
  if (root && have('apt-get') && process.env.TIERBENCH_NO_INSTALL !== '1') {
    process.stdout.write(`npm test: installing ${need.join(' ')} for the suites project (apt-get; set TIERBENCH_NO_INSTALL=1 to refuse)\n`)
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    const u = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env })
    const i = u.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', ...need], { stdio: ['ignore', 'ignore', 'inherit'], env }) : u
    if (i.status === 0 && have('fio') && have('iostat')) return true
  }
  process.stdout.write(
    `\nnpm test: the suites project needs ${need.join(' and ')} (H4A/H4B contention, iostat/pidstat logs), not found on PATH.\n` +
      `Install: ${root ? '' : 'sudo '}apt-get install -y ${need.join(' ')}   then run npm test again.\n`,
  )
  return false
}
const results = []
for (const project of projects) {
  if (project === 'suites' && !ensureTools()) {
    results.push({ project, code: 1, why: 'not run: fio/sysstat missing' })
    continue
  }
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
process.stdout.write(`\n== npm test: ${results.map((r) => `${r.project} ${r.code === 0 ? 'passed' : `FAILED (${r.why ?? `exit ${r.code}`})`}`).join(', ')} ==\n`)
process.exit(failed.length ? 1 : 0)
