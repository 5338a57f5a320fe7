import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, test } from 'vitest'

// The public contract of a run's start: a mistyped setting anywhere gives one error listing every
// bad field, and nothing starts (no run directory, no kvsim).
const results = mkdtempSync(join(tmpdir(), 'tb-gsetup-'))
afterAll(() => rmSync(results, { recursive: true, force: true }))

const bytesUnder = (dir: string): number => {
  if (!existsSync(dir)) return 0
  let n = 0
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size
  return n
}

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
    const out = `${r.stdout}\n${r.stderr}`.trim()
    expect(r.exitCode).toBe(2)
    expect(out).toMatch(/env TIERBENCH_PROFILE: Expected one of smoke\|full, got "smok"/)
    expect(out).toMatch(/env TIERBENCH_TELEMETRY_CADENCE_MS: Expected a number, got "fast"/)
    // One block a person can act on: no Vitest "No test files found", no stack trace.
    expect(out.split('\n').length).toBeLessThan(15)
    expect(out).not.toMatch(/No test files found|❯|\bat .*:\d+:\d+/)
    expect(existsSync(join(results, 'out'))).toBe(false)
    expect(kvsimProcesses()).toEqual([])
  })

  test('an unknown tag is one line naming the defined tags, and writes no bundle', async () => {
    const r = await execa(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--project', 'suites', '--tags-filter', 'h2 && !slow'], {
      reject: false,
      env: { TIERBENCH_RESULTS_DIR: join(results, 'tag-out') },
      timeout: 120_000,
    })
    const out = `${r.stdout}\n${r.stderr}`.trim()
    expect(r.exitCode).toBe(2)
    expect(out.split('\n')).toHaveLength(1)
    expect(out).toMatch(/^tierbench: unknown tag "h2" in --tags-filter "h2 && !slow" \(did you mean h2a\?\); defined tags: dataset:S, .*h2b.*slow$/)
    expect(existsSync(join(results, 'tag-out'))).toBe(false)
  })
})

describe('interrupting a suite run', () => {
  test('Ctrl-C mid-phase leaves a readable bundle marked interrupted and no kvsim behind', async () => {
    const out = join(results, 'int')
    const child = execa(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'suites/h2b'], {
      reject: false,
      env: {
        // No TIERBENCH_SCRATCH_DIR: scratch must follow the results dir, not land in the checkout.
        TIERBENCH_RESULTS_DIR: out,
        // full phases last minutes: the interrupt is sure to land inside one
        TIERBENCH_PROFILE: 'full',
        TIERBENCH_EMULATOR_PROFILE: 'tiny',
      },
      timeout: 120_000,
    })
    await new Promise<void>((resolve) => {
      const onData = (d: Buffer) => {
        if (String(d).includes('[tierbench] phase=')) {
          child.stderr!.off('data', onData)
          resolve()
        }
      }
      child.stderr!.on('data', onData)
    })
    expect(existsSync(join(out, '.scratch')), 'scratch lives under the results dir while the run is going').toBe(true)
    child.kill('SIGINT')
    const r = await child
    expect(r.exitCode).not.toBe(0)
    const runDir = join(out, readdirSync(out).find((d) => /^\d{8}T/.test(d))!)
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8'))
    expect(manifest.status).toBe('interrupted')
    expect(manifest.run_valid).toBe(false)
    expect(manifest.reason_codes).toContain('RUN_INTERRUPTED')
    // Whole lines only, and each raw record says it came from the emulator.
    for (const line of readFileSync(join(runDir, 'raw', 'requests.jsonl'), 'utf8').split('\n').filter(Boolean)) expect(JSON.parse(line).emulated).toBe(true)
    // kvsim exits with its parent (its stdin closes) after a clean shutdown: wait up to 15 s.
    for (let i = 0; i < 30 && kvsimProcesses().length > 0; i++) await new Promise((res) => setTimeout(res, 500))
    expect(kvsimProcesses()).toEqual([])
    // Scratch (KV cache files: hundreds of MB at full scale) is gone; the partial bundle is all that is left.
    expect(bytesUnder(join(out, '.scratch')), 'bytes left in <results>/.scratch after Ctrl-C').toBe(0)
    expect(readdirSync(out).sort()).toEqual([basename(runDir), 'latest'].sort())
    expect(bytesUnder(out), 'the partial bundle stays small').toBeLessThan(20 * 1024 * 1024)
  })
})
