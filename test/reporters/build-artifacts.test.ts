import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { buildRunArtifacts, CHART_HEIGHT, CHART_WIDTH, type BuildResult } from '../../reporters/build-artifacts'
import { reproduceCommand, reproduceEnv } from '../../reporters/dossier-markdown'
import { FIGURE_CATALOG, figureSpec } from '../../reporters/figure-catalog'
import { Verdict } from '../../helpers/gates/verdict'
import { parseCsv, parseCsvObjects } from './csv-rows'
import { pngInfo } from './png-info'
import { PAIRED_SUITE, SWEEP_SUITE, writeSyntheticRun, type SyntheticRun } from './synthetic-run'

const root = mkdtempSync(join(tmpdir(), 'tierbench-build-artifacts-'))
let run: SyntheticRun
let built: BuildResult
afterAll(() => rmSync(root, { recursive: true, force: true }))

beforeAll(async () => {
  run = await writeSyntheticRun(join(root, 'emulated'), { requestsPerPhase: 150, truncateRequests: true, status: 'complete' })
  built = await buildRunArtifacts(run.runDir)
})

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'))

// Independent reference: numpy-linear percentile over a naive sort of the raw file.
const referenceP = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b)
  const h = ((s.length - 1) * p) / 100
  const lo = Math.floor(h)
  return lo + 1 < s.length ? s[lo]! + (h - lo) * (s[lo + 1]! - s[lo]!) : s[lo]!
}

describe('buildRunArtifacts on an emulated run with a failed hard gate', () => {
  test('every file it reports exists and parses (JSON, CSV with the catalog header, PNG of the chart size)', () => {
    expect(built.suites).toEqual([SWEEP_SUITE, PAIRED_SUITE])
    expect(built.files.length).toBeGreaterThan(20)
    for (const f of built.files) {
      const p = join(run.runDir, f)
      expect(existsSync(p), f).toBe(true)
      if (f.endsWith('.json')) expect(() => readJson(p), f).not.toThrow()
      if (f.endsWith('.csv')) {
        const rows = parseCsv(readFileSync(p, 'utf8'))
        const id = f.split('/').pop()!.replace(/\.csv$/, '')
        expect(rows[0], f).toEqual([...figureSpec(id).columns.map((c) => c.name), 'emulated'])
        expect(rows.length, f).toBeGreaterThan(1)
        // Every row says it came from the emulator (the synthetic run is emulated).
        for (const r of rows.slice(1)) expect(r.at(-1), f).toBe('true')
      }
      if (f.endsWith('.png')) expect(pngInfo(p), f).toEqual({ isPng: true, width: CHART_WIDTH, height: CHART_HEIGHT })
    }
    for (const s of built.suites) for (const name of ['summary.json', 'verdict.json', 'report.md']) expect(built.files).toContain(`${s}/${name}`)
    for (const name of ['verdict.json', 'verdict.schema.json', 'dossier.md']) expect(built.files).toContain(name)
  })

  test('the sweep suite gets every figure its data supports, including the figure checklist ones', () => {
    const summary = readJson(join(run.runDir, SWEEP_SUITE, 'summary.json'))
    const produced = summary.figures.filter((f: { csv: string | null }) => f.csv).map((f: { id: string }) => f.id)
    for (const id of ['latency_by_step', 'ttft_cdf', 'ttft_windows', 'block_io_timeseries', 'kvbm_timeseries', 'kvbm_deltas_by_phase', 'predicted_vs_observed_disk', 'p99_vs_r_await', 'iowait_vs_p99', 'mode_compare', 'slo_capacity', 'tier_hit_by_step'])
      expect(produced).toContain(id)
    // One mode per repetition pair only exists in the paired suite.
    expect(produced).not.toContain('paired_deltas')
    expect(summary.figures.find((f: { id: string }) => f.id === 'paired_deltas').skipped).toMatch(/^no data: needs/)
    expect(FIGURE_CATALOG.map((f) => f.id)).toEqual(expect.arrayContaining(produced))
  })

  test('verdicts validate against the schema and carry EMULATED_TARGET; the failed hard gate blocks its suite', () => {
    for (const s of built.suites) {
      const v = Verdict.parse(readJson(join(run.runDir, s, 'verdict.json')))
      expect(v.emulated).toBe(true)
      expect(v.decision_grade).toBe(false)
      expect(v.reason_codes).toContain('EMULATED_TARGET')
    }
    const sweep = Verdict.parse(readJson(join(run.runDir, SWEEP_SUITE, 'verdict.json')))
    expect(sweep.outcome).toBe('blocked')
    expect(sweep.reason_codes).toContain('NO_DISK_REHYDRATE')
    expect(sweep.blockers.find((b) => b.blocker_group === 'mechanism_invisibility')?.gates.map((g) => g.gate_id)).toEqual(['disk_rehydrate'])
    const schema = readJson(join(run.runDir, 'verdict.schema.json'))
    expect(schema.type).toBe('object')
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['run_valid', 'decision_grade', 'reason_codes']))
    const runVerdict = readJson(join(run.runDir, 'verdict.json'))
    expect(runVerdict.outcome).toBe('blocked')
    expect(runVerdict.reason_codes).toEqual(expect.arrayContaining(['EMULATED_TARGET', 'NO_DISK_REHYDRATE']))
  })

  test('the dossier lists the failed hard gate under mechanism invisibility with evidence and a reproduce command', () => {
    const md = readFileSync(join(run.runDir, 'dossier.md'), 'utf8')
    const section = md.slice(md.indexOf('## Mechanism invisibility'))
    const entry = section.slice(0, section.indexOf('\n## ') > 0 ? section.indexOf('\n## ') : undefined)
    expect(entry).toContain('### h2b · `disk_rehydrate` (NO_DISK_REHYDRATE)')
    expect(entry).toContain('`h2b/phase_deltas/sweep_c16_B2.json`')
    // A phase-group scope (replay*) reruns the whole suite: the filter must not skip phases the gate reads.
    expect(entry).toContain('TIERBENCH_TARGET=emulator npx vitest run --project suites suites/h2b.test.ts`')
    expect(entry).toContain('**What must change:** Blocks were written but never read back')
    // The soft failure is not a blocker.
    expect(md).not.toContain('`alignment`')
  })

  test('the truncated last request line is skipped and counted, and every whole line is summarized', () => {
    const summary = readJson(join(run.runDir, SWEEP_SUITE, 'summary.json'))
    expect(summary.inputs.truncated_last_line).toBe(1)
    expect(summary.inputs.requests_rows_in_run).toBe(run.requests)
    const paired = readJson(join(run.runDir, PAIRED_SUITE, 'summary.json'))
    expect(summary.inputs.requests_rows_in_suite + paired.inputs.requests_rows_in_suite).toBe(run.requests)
    expect(readFileSync(join(run.runDir, SWEEP_SUITE, 'report.md'), 'utf8')).toContain('truncated last line skipped')
  })

  test("the suite's headline finding is the first line under the title (once), and summary.json carries it", () => {
    const lines = readFileSync(join(run.runDir, SWEEP_SUITE, 'report.md'), 'utf8').split('\n').filter(Boolean)
    expect(lines[0]).toBe(`# ${SWEEP_SUITE}: host-tier overflow to NVMe produces a storage knee`)
    expect(lines[1]).toBe('**Finding (emulated):** TTFT knee at 32 sessions: p99 900 ms vs 120 ms.')
    expect(readJson(join(run.runDir, SWEEP_SUITE, 'summary.json')).headline).toBe('TTFT knee at 32 sessions: p99 900 ms vs 120 ms.')
    expect(readJson(join(run.runDir, PAIRED_SUITE, 'summary.json')).headline).toBeNull()
  })

  test('report.md names the measured phases that started on a busy host, and only those', () => {
    const md = readFileSync(join(run.runDir, SWEEP_SUITE, 'report.md'), 'utf8')
    expect(md).toContain('**Busy host:** 1 measured phase started on a loaded host (sweep_c16_B2: load average 4.2 on 2 cores).')
    expect(readJson(join(run.runDir, SWEEP_SUITE, 'summary.json')).loaded_host_phases).toEqual([{ phase: 'sweep_c16_B2', problems: ['load average 4.2 on 2 cores'] }])
    expect(readFileSync(join(run.runDir, PAIRED_SUITE, 'report.md'), 'utf8')).not.toContain('Busy host')
  })

  test('per-phase TTFT percentiles equal an independent computation over the raw file', async () => {
    const ttft: number[] = []
    const rl = createInterface({ input: createReadStream(join(run.runDir, 'raw', 'requests.jsonl')) })
    for await (const line of rl) {
      try {
        const r = JSON.parse(line)
        if (r.phase === 'sweep_c8_B2' && r.ok) ttft.push(r.ttft_ms)
      } catch {}
    }
    const summary = readJson(join(run.runDir, SWEEP_SUITE, 'summary.json'))
    const phase = summary.phases.find((p: { phase: string }) => p.phase === 'sweep_c8_B2')
    expect(phase.latency.ttft_ms.count).toBe(ttft.length)
    expect(phase.latency.ttft_ms.p99).toBeCloseTo(referenceP(ttft, 99), 3)
    expect(phase.latency.ttft_ms.p50).toBeCloseTo(referenceP(ttft, 50), 3)
    expect(summary.percentile_method).toMatch(/linear interpolation/)
    expect(summary.metric_definitions.ttft_ms.unit).toBe('ms')
  })

  test('paired deltas are B − A per repetition with a CI around their mean', () => {
    const rows = parseCsvObjects(readFileSync(join(run.runDir, PAIRED_SUITE, 'paired_deltas.csv'), 'utf8'))
    const p99 = rows.filter((r) => r.metric === 'ttft_p99_ms')
    const pairs = p99.filter((r) => r.pair !== 'mean')
    expect(pairs).toHaveLength(6)
    for (const r of pairs) expect(Number(r.delta)).toBeCloseTo(Number(r.b_value) - Number(r.a_value), 2)
    expect(new Set(pairs.map((r) => r.order))).toEqual(new Set(['AB', 'BA']))
    const mean = p99.find((r) => r.pair === 'mean')!
    expect(mean.mode_a).toBe('B1')
    expect(mean.mode_b).toBe('B2')
    expect(Number(mean.ci95_low)).toBeLessThan(Number(mean.delta))
    expect(Number(mean.ci95_high)).toBeGreaterThan(Number(mean.delta))
  })

  test('a rebuild writes byte-identical verdicts and summaries', async () => {
    const before = built.suites.map((s) => readFileSync(join(run.runDir, s, 'summary.json'), 'utf8') + readFileSync(join(run.runDir, s, 'verdict.json'), 'utf8'))
    await buildRunArtifacts(run.runDir)
    const after = built.suites.map((s) => readFileSync(join(run.runDir, s, 'summary.json'), 'utf8') + readFileSync(join(run.runDir, s, 'verdict.json'), 'utf8'))
    expect(after).toEqual(before)
  })
})

describe('buildRunArtifacts on a hardware run that completed', () => {
  test('no EMULATED_TARGET, no watermark, and RUN_INTERRUPTED only when the manifest says so', async () => {
    const hw = await writeSyntheticRun(join(root, 'hardware'), { requestsPerPhase: 40, emulated: false, status: 'complete' })
    const res = await buildRunArtifacts(hw.runDir)
    for (const v of res.verdicts) {
      expect(v.emulated).toBe(false)
      expect(v.reason_codes).not.toContain('EMULATED_TARGET')
      expect(v.reason_codes).not.toContain('RUN_INTERRUPTED')
    }
    expect(readFileSync(join(hw.runDir, SWEEP_SUITE, 'report.md'), 'utf8')).not.toContain('EMULATED')
    const interrupted = await buildRunArtifacts(hw.runDir, { interrupted: true, charts: false })
    expect(interrupted.run_verdict.run_valid).toBe(false)
    expect(interrupted.run_verdict.reason_codes).toContain('RUN_INTERRUPTED')
    expect(readFileSync(join(hw.runDir, 'dossier.md'), 'utf8')).toContain('### run · RUN_INTERRUPTED')
  })

  test('the verdict holds a suite to the evidence links its suite.json declares (else the four classic ones)', async () => {
    const hw = await writeSyntheticRun(join(root, 'declared'), { requestsPerPhase: 20, emulated: false, status: 'complete' })
    const before = await buildRunArtifacts(hw.runDir, { charts: false })
    const paired = () => before.verdicts.find((v) => v.suite_id === PAIRED_SUITE)!
    expect(paired().required_evidence).toEqual(['mechanism', 'os_corroboration', 'user_impact', 'repeatability'])
    expect(paired().reason_codes).toContain('MECHANISM_EVIDENCE_MISSING')
    // The synthetic paired suite's only gate is a passing gate on ttft_p99_ms (a user-impact figure): declared alone, it completes the chain.
    const info = join(hw.runDir, PAIRED_SUITE, 'suite.json')
    writeFileSync(info, JSON.stringify({ ...readJson(info), required_evidence: ['user_impact'] }))
    const after = await buildRunArtifacts(hw.runDir, { charts: false })
    const v = Verdict.parse(readJson(join(hw.runDir, PAIRED_SUITE, 'verdict.json')))
    expect(v.required_evidence).toEqual(['user_impact'])
    expect(v.evidence_chain).toMatchObject({ user_impact: 'present', mechanism: 'not_required', repeatability: 'not_required' })
    expect(v.evidence_chain_complete).toBe(true)
    expect(v.reason_codes).not.toContain('MECHANISM_EVIDENCE_MISSING')
    expect(after.verdicts.find((x) => x.suite_id === PAIRED_SUITE)!.decision_grade).toBe(v.decision_grade)
  })

  test('a run dir with only raw requests (no suite dirs yet) still yields a readable partial bundle', async () => {
    const partial = await writeSyntheticRun(join(root, 'partial'), { requestsPerPhase: 20 })
    for (const s of partial.suites) rmSync(join(partial.runDir, s), { recursive: true, force: true })
    const res = await buildRunArtifacts(partial.runDir, { charts: false })
    expect(res.suites).toEqual([SWEEP_SUITE, PAIRED_SUITE])
    const v = Verdict.parse(readJson(join(partial.runDir, SWEEP_SUITE, 'verdict.json')))
    expect(v.run_valid).toBe(false)
    expect(readdirSync(join(partial.runDir, SWEEP_SUITE))).toContain('report.md')
    expect(readFileSync(join(partial.runDir, SWEEP_SUITE, 'report.md'), 'utf8')).toContain('Expected suite.json, got none')
  })
})

describe('dossier reproduce commands', () => {
  test('external and llama.cpp runs repeat the server URL, model, declared mode and binary', () => {
    expect(reproduceEnv({ config: { profile: { name: 'full' }, target: { kind: 'external', base_url: 'http://127.0.0.1:8000', model: 'm', declared_mode: 'B2', kvbm_metrics_url: 'http://127.0.0.1:6880/metrics' } } })).toEqual({
      TIERBENCH_PROFILE: 'full',
      TIERBENCH_BASE_URL: 'http://127.0.0.1:8000',
      TIERBENCH_MODEL: 'm',
      TIERBENCH_DECLARED_MODE: 'B2',
      TIERBENCH_KVBM_METRICS_URL: 'http://127.0.0.1:6880/metrics',
    })
    expect(reproduceEnv({ config: { target: { kind: 'llamacpp', binary: '/b/llama-server', model_path: '/m/x.gguf' }, seed: 7 } })).toEqual({
      TIERBENCH_LLAMA_SERVER_BIN: '/b/llama-server',
      TIERBENCH_LLAMA_MODEL: '/m/x.gguf',
      TIERBENCH_SEED: '7',
    })
    expect(reproduceEnv({ config: { target: { kind: 'vllm', model: '/models/l', backend: 'lmcache', binary: 'vllm', runtime: 'docker', image: 'vllm/vllm-openai:v1', port: 0 } } })).toEqual({
      TIERBENCH_MODEL: '/models/l',
      TIERBENCH_BACKEND: 'lmcache',
      TIERBENCH_VLLM_BIN: 'vllm',
      TIERBENCH_SERVER_RUNTIME: 'docker',
      TIERBENCH_SERVER_IMAGE: 'vllm/vllm-openai:v1',
    })
  })

  test('repeat the profile, emulator profile and planted faults of the run, and the fault suites use their own config', () => {
    const env = reproduceEnv({ config: { profile: { name: 'smoke' }, target: { kind: 'emulator', profile: 'tiny', faults: 'corrupt_disk:1' } } })
    expect(env).toEqual({ TIERBENCH_PROFILE: 'smoke', TIERBENCH_EMULATOR_PROFILE: 'tiny', TIERBENCH_EMULATOR_FAULTS: 'corrupt_disk:1' })
    const base = { suite_id: 'x', target_kind: 'emulator', env, verdict: {} as never, gates: [] }
    expect(reproduceCommand({ ...base, file: 'suites/h2b.test.ts' }, 'ctx2048-replay')).toBe(
      'TIERBENCH_TARGET=emulator TIERBENCH_PROFILE=smoke TIERBENCH_EMULATOR_PROFILE=tiny TIERBENCH_EMULATOR_FAULTS=corrupt_disk:1 npx vitest run --project suites suites/h2b.test.ts -t "phase ctx2048-replay:"',
    )
    // Conclusion gates and phase groups run the whole suite: a filter would match no test or skip the conclusion.
    for (const [scope, source] of [['ctx2048-replay', 'suite'], ['reuse_2..', 'phase'], ['B2-mixed,B2p-mixed', undefined], ['replay*', 'phase']] as const)
      expect(reproduceCommand({ ...base, file: 'suites/h2b.test.ts' }, scope, source)).not.toContain(' -t ')
    expect(reproduceCommand({ ...base, file: 'test/faults/suites/disk-replay.fault-suite.ts' }, null)).toContain(
      'npx vitest run --config test/faults/vitest.faults.config.ts test/faults/suites/disk-replay.fault-suite.ts',
    )
  })
})
