import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, test } from 'vitest'

// The public contract of a run's start: a mistyped setting anywhere gives one error listing every
// bad field, and nothing starts (no run directory, no kvsim).
const results = mkdtempSync(join(tmpdir(), 'tb-gsetup-'))
afterAll(() => rmSync(results, { recursive: true, force: true }))

const kvsimProcesses = () =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(results)
      } catch {
        return false
      }
    })

describe('starting a suite run', () => {
  test('a mistyped config value gives one error naming every bad field, and starts nothing', async () => {
    const r = await execa('npx', ['vitest', 'run', 'suites/h2b'], {
      reject: false,
      env: {
        TIERBENCH_RESULTS_DIR: join(results, 'out'),
        TIERBENCH_SCRATCH_DIR: join(results, 'scratch'),
        TIERBENCH_PROFILE: 'smok',
        TIERBENCH_TELEMETRY_CADENCE_MS: 'fast',
      },
      timeout: 120_000,
    })
    const out = `${r.stdout}\n${r.stderr}`
    expect(r.exitCode).not.toBe(0)
    expect(out).toMatch(/TIERBENCH_PROFILE/)
    expect(out).toMatch(/smok/)
    expect(out).toMatch(/TIERBENCH_TELEMETRY_CADENCE_MS/)
    expect(existsSync(join(results, 'out'))).toBe(false)
    expect(kvsimProcesses()).toEqual([])
  })
})
