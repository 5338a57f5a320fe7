import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { type NestedRun, runNested } from '../../faults/nested-run'

// One real nested run under TIERBENCH_PROFILE=full (tiny kvsim, a few requests per phase): what
// the DSL does for every suite that leaves repetitions to it. Full suites take hours; this takes
// under a minute and shows the same mechanics end to end, down to verdict.json and manifest.json.

const SUITE = 'fault_repeated_protocol'
let run: NestedRun | null = null
afterAll(() => run?.cleanup())

test('full runs the protocol 3 times from fresh workers, concludes each, and verdict.json shows the CoV gates evaluated', { timeout: 300_000 }, async () => {
  run = await runNested({
    files: ['test/faults/suites/repeated-protocol.fault-suite.ts'],
    env: { TIERBENCH_PROFILE: 'full' },
    configYaml: 'target:\n  kind: emulator\n  profile: tiny\n  time_scale: 0.05\n',
    timeoutMs: 280_000,
  })
  const explain = `nested run output:\n${run.output.slice(-3000)}`
  const phases = run.phases(SUITE) as unknown as { phase: string; repetition?: number }[]
  // `probe` is run by the custom phase `search`: it inherits its repetition and suffix.
  expect(phases.map((p) => [p.phase, p.repetition]), explain).toEqual([
    ['warmup-r1', 0], ['replay-r1', 0], ['probe-r1', 0],
    ['warmup-r2', 1], ['replay-r2', 1], ['probe-r2', 1],
    ['warmup-r3', 2], ['replay-r3', 2], ['probe-r3', 2],
  ])
  const events = readFileSync(join(run.runDir, SUITE, 'raw', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  const start = events.find((e) => e.type === 'suite_start')
  expect(start).toMatchObject({ repetitions: 3, repeated_by: 'dsl', phases: [1, 2, 3].flatMap((r) => [`warmup-r${r}`, `replay-r${r}`, `search-r${r}`]) })
  // Each repetition has its own seed (recorded), so its prompts are its own: a server that cannot be
  // restarted would otherwise serve repetition 2 from repetition 1's cache.
  expect(start.repetition_seeds).toEqual([start.seed, start.seed + 1, start.seed + 2])
  const requests = readFileSync(join(run.runDir, 'raw', 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  const prompts = (phase: string) => new Set(requests.filter((r) => r.suite_id === SUITE && r.phase === phase).map((r) => r.identity_hash))
  expect(prompts('replay-r1').size).toBeGreaterThan(0)
  expect([...prompts('replay-r2')].filter((h) => prompts('replay-r1').has(h))).toEqual([])
  // A fresh worker per repetition: the mode is applied once per repetition, at its first phase.
  expect(events.filter((e) => e.type === 'apply_mode').map((e) => e.phase)).toEqual(['warmup-r1', 'warmup-r2', 'warmup-r3'])

  const gates = run.gates(SUITE)
  const conclusions = gates.filter((g) => g.gate_id === 'conclusion_sees_one_repetition')
  expect(conclusions.map((g) => [g.status, g.evidence.details.repetition]), explain).toEqual([['pass', 1], ['pass', 2], ['pass', 3]])
  const cov = gates.filter((g) => g.gate_id === 'cov_p99' || g.gate_id === 'reproducible_p99')
  expect(cov.map((g) => [g.gate_id, g.scope])).toEqual([
    ['cov_p99', 'replay'], ['reproducible_p99', 'replay'],
    ['cov_p99', 'probe'], ['reproducible_p99', 'probe'],
  ])
  // Evaluated on three repetitions' figures: pass or fail on a busy box, never "not assessed".
  for (const g of cov) {
    expect(['pass', 'fail']).toContain(g.status)
    expect(typeof g.observed).toBe('number')
    expect(g.evidence.details.repetitions_with_data).toBe(3)
  }
  const v = run.verdict(SUITE)
  expect(v.required_evidence).toEqual(['repeatability'])
  expect(['present', 'failed']).toContain(v.evidence_chain.repeatability)
  expect(v.reason_codes).not.toContain('REPEATABILITY_NOT_ASSESSED')
  expect(v.gates.total).toBeGreaterThanOrEqual(cov.length + conclusions.length)

  const m = run.manifest() as unknown as { profile: string; suites: string[]; kv_modes: Record<string, string[]>; provenance: Record<string, Record<string, unknown>> }
  expect(m.profile).toBe('full')
  expect(m.suites).toEqual([SUITE])
  expect(m.kv_modes[SUITE]).toEqual(['B1'])
  expect(m.provenance[SUITE]).toMatchObject({ kind: 'emulator', emulated: true, mode: 'B1', emulator: 'kvsim' })
})
