import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { afterAll, describe, expect, test } from 'vitest'
import type { GateResult } from '../../../helpers/gates/gate'
import { mooncakeJsonl, syntheticTrace } from '../../../helpers/trace/synthetic-trace'

// suites/trace-replay.test.ts run for real (a nested Vitest on kvsim, results in a temp dir) on a
// Mooncake-format trace generated here: a block structure unlike the bundled conversation trace
// (long shared documents, multi-turn sessions whose history grows, one-off long prompts). Asserts
// what does not depend on the machine's speed: the what-if files, every mode's measured cached
// tokens next to its prediction, the disk tier's hits in B2; and that bad traces stop at collection.

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
const dir = mkdtempSync(join(tmpdir(), 'tierbench-trace-suite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// The table has no quoted cells (numbers, mode ids, counter names), so a split reads it.
const readCsv = (path: string): Record<string, string>[] => {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n')
  const cols = head.split(',')
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])))
}

const runSuite = async (name: string, trace: string) => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('VITEST') && !k.startsWith('TIERBENCH_') && !k.startsWith('DYN_KVBM_') && k !== 'NODE_ENV') env[k] = v
  const results = join(dir, name, 'results')
  const res = await execa('npx', ['vitest', 'run', '--project', 'suites', 'suites/trace-replay.test.ts'], {
    cwd: ROOT,
    env: { ...env, TIERBENCH_TRACE: trace, TIERBENCH_RESULTS_DIR: results, TIERBENCH_SCRATCH_DIR: join(dir, name, 'scratch'), TIERBENCH_PROFILE: 'smoke' },
    extendEnv: false,
    reject: false,
    all: true,
    timeout: 240_000,
    stdin: 'ignore',
  })
  const latest = join(results, 'latest')
  const runDir = existsSync(latest) ? realpathSync(latest) : latest
  return { exitCode: res.exitCode, output: String(res.all ?? ''), suiteDir: join(runDir, 'trace_replay') }
}

describe('suites/trace-replay on kvsim', () => {
  test('a generated long-input trace replays in B0, B1, B2 with its what-if and predicted-vs-measured table in the bundle', { timeout: 300_000 }, async () => {
    const trace = join(dir, 'generated.jsonl')
    // 48 rows, 3 shared 16-block documents, sessions growing to 44 blocks (22k trace tokens).
    writeFileSync(trace, mooncakeJsonl(syntheticTrace({ rows: 48, seed: 7, prefixes: 3, prefixBlocks: 16, maxBlocks: 44, meanGapMs: 400 })))
    const run = await runSuite('generated', trace)
    const whatif = JSON.parse(readFileSync(join(run.suiteDir, 'whatif', 'whatif.json'), 'utf8'))
    expect(whatif.trace.path).toBe(trace)
    expect(whatif.summary.ideal_token_hit_ratio).toBeGreaterThan(0.5)
    expect(readFileSync(join(run.suiteDir, 'whatif', 'whatif_curve.png')).subarray(1, 4).toString()).toBe('PNG')
    const rows = readCsv(join(run.suiteDir, 'predicted_vs_measured.csv'))
    expect(rows.map((r) => r.mode)).toEqual(['B0', 'B1', 'B2'])
    for (const r of rows) {
      expect(r.emulated).toBe('true')
      expect(Number(r.rows_sent), r.mode).toBe(48)
      expect(Number(r.measured_cached_tokens), r.mode).toBeGreaterThan(0)
    }
    const [b0, b1, b2] = rows
    // The host tier adds hits over B0 and the disk tier serves some in B2, as the what-if says.
    expect(Number(b1.predicted_cached_tokens)).toBeGreaterThan(Number(b0.predicted_cached_tokens))
    expect(Number(b1.measured_host_tokens)).toBeGreaterThan(0)
    expect(Number(b2.predicted_disk_tokens)).toBeGreaterThan(0)
    expect(Number(b2.measured_disk_tokens)).toBeGreaterThan(0)
    const gates = readFileSync(join(run.suiteDir, 'raw', 'gates.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as GateResult)
    const cached = gates.filter((g) => g.gate_id === 'trace_cached_tokens_vs_predicted')
    expect(cached.map((g) => [g.scope, g.status])).toEqual([['B0-replay', 'pass'], ['B1-replay', 'pass'], ['B2-replay', 'pass']])
    // Measured by source from the normalised tier counters (kvsim's KVBM dialect: onboards).
    expect(b1.measured_by_source_basis).toContain('host: onboard_host_to_device_tokens')
    expect(b2.measured_by_source_basis).toContain('disk: onboard_disk_to_device_tokens')
    // Every trace request declares its legitimate reuse, so the contamination gate checks them all and passes.
    const contamination = gates.filter((g) => g.gate_id === 'prefix_cache_contamination')
    expect(contamination.map((g) => [g.scope, g.status, (g.evidence.details as { checked: number }).checked])).toEqual([
      ['B0-replay', 'pass', 48],
      ['B1-replay', 'pass', 48],
      ['B2-replay', 'pass', 48],
    ])
    // Only B2 has a disk tier to judge.
    expect(gates.filter((g) => g.gate_id === 'trace_disk_tokens_vs_predicted').map((g) => g.scope)).toEqual(['B2-replay'])
  })

  test('a missing trace, a malformed row and an all-oversize trace stop at collection, before any server starts', { timeout: 300_000 }, async () => {
    const bad = join(dir, 'bad.jsonl')
    writeFileSync(bad, '{"timestamp":0,"input_length":600,"output_length":4,"hash_ids":[0,1]}\n{"timestamp":5,"input_length":600}\n')
    const huge = join(dir, 'huge.jsonl')
    writeFileSync(huge, '{"timestamp":0,"input_length":900000,"output_length":5,"hash_ids":[1]}\n')
    // Three short nested runs (each stops at collection), side by side.
    const [missing, malformed, oversize] = await Promise.all([runSuite('missing', join(dir, 'nope.jsonl')), runSuite('malformed', bad), runSuite('oversize', huge)])
    expect(missing.output).toContain(`Expected a Mooncake trace file at ${join(dir, 'nope.jsonl')}, got no such file`)
    expect(malformed.output).toMatch(/bad\.jsonl line 2 \(output_length:/)
    expect(oversize.output).toMatch(/Expected at least one row of .*huge\.jsonl within the target's context limit \(\d+ tokens; rows at length_scale 0\.125\), got all 1 over it/)
    for (const r of [missing, malformed, oversize]) {
      expect(r.exitCode).not.toBe(0)
      // No phase ran: no phase record, no progress line.
      expect(existsSync(join(r.suiteDir, 'raw', 'phases.jsonl'))).toBe(false)
      expect(r.output).not.toMatch(/phase=B0-replay/)
    }
  })
})
