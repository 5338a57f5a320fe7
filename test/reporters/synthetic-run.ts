import { once } from 'node:events'
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { PhaseRecord } from '../../helpers/bundle/phase-record'
import type { SuiteInfo } from '../../helpers/bundle/suite-info'
import type { GateResult } from '../../helpers/gates/gate'
import type { RequestRecord } from '../../helpers/client/request-record'
import type { SuiteTests } from '../../reporters/suite-tests'

// A realistic run directory, written the way the harness writes one (raw streams only), for the
// reporter's tests and for bench/analysis.ts. Deterministic: a seeded PRNG, a fixed clock.

export interface SyntheticRunOptions {
  runId?: string
  emulated?: boolean
  /** Requests per measured phase of the sweep suite. @default 200 */
  requestsPerPhase?: number
  /** Append a cut-off JSON line to raw/requests.jsonl, as a crash leaves. @default false */
  truncateRequests?: boolean
  /** Write <suite>/tests.json as the reporter would. @default true */
  writeTests?: boolean
  /** ITL gaps kept per request. @default 4 */
  itlGaps?: number
  /** manifest.json status as written. @default 'running' (what globalSetup writes at start) */
  status?: 'running' | 'complete' | 'interrupted' | 'failed'
  /** Modes of the sweep suite. @default ['B1', 'B2'] */
  modes?: string[]
  /** Concurrency steps of the sweep suite. @default [1, 2, 4, 8, 16] */
  steps?: number[]
}

export interface SyntheticRun {
  runDir: string
  runId: string
  suites: string[]
  requests: number
}

const mulberry32 = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

interface PhasePlan {
  suite_id: string
  phase: string
  kind: PhaseRecord['kind']
  mode: string
  step?: Record<string, number>
  repetition?: number
  leg?: string
  requests: number
  /** Median TTFT, ms. */
  ttft: number
  /** Tail heaviness: p99/p50 roughly exp(2.33 × sigma). */
  sigma: number
  kvbm: Record<string, number> | null
}

export const SWEEP_SUITE = 'h2b'
export const PAIRED_SUITE = 'paired_b1_b2'
export const KV_BLOCK_BYTES = 2 * 1024 * 1024

const kvbmFor = (mode: string, c: number): Record<string, number> | null =>
  mode === 'B0'
    ? null
    : {
        kvbm_offload_blocks_d2h: 40 * c,
        kvbm_offload_blocks_h2d: mode === 'B1' ? 0 : 12 * c,
        kvbm_offload_blocks_d2d: 0,
        kvbm_onboard_blocks_h2d: 30 * c,
        kvbm_onboard_blocks_d2d: mode === 'B1' ? 0 : 6 * c,
        kvbm_matched_tokens: 900 * c,
        kvbm_host_cache_hit_rate: 0.5,
      }

export const syntheticPlan = (perPhase: number, modes = ['B1', 'B2'], steps = [1, 2, 4, 8, 16]): PhasePlan[] => {
  const plan: PhasePlan[] = [
    { suite_id: SWEEP_SUITE, phase: 'warmup', kind: 'warmup', mode: modes[0]!, requests: Math.max(5, Math.round(perPhase / 10)), ttft: 90, sigma: 0.2, kvbm: kvbmFor(modes[0]!, 1) },
  ]
  for (const mode of modes)
    for (const c of steps)
      plan.push({
        suite_id: SWEEP_SUITE,
        phase: `sweep_c${c}_${mode}`,
        kind: 'measure',
        mode,
        step: { concurrency: c },
        requests: perPhase,
        ttft: 80 + 12 * c * (mode === 'B2' ? 1.2 : 1),
        sigma: c >= 8 ? 0.45 : 0.15,
        kvbm: kvbmFor(mode, c),
      })
  for (let rep = 0; rep < 6; rep++)
    for (const [i, mode] of (rep % 2 === 0 ? ['B1', 'B2'] : ['B2', 'B1']).entries())
      plan.push({
        suite_id: PAIRED_SUITE,
        phase: `rep${rep}_${mode}`,
        kind: 'measure',
        mode,
        repetition: rep,
        leg: rep % 2 === 0 ? (i === 0 ? 'A' : 'B') : i === 0 ? 'B' : 'A',
        requests: Math.max(20, Math.round(perPhase / 4)),
        ttft: mode === 'B2' ? 150 : 180,
        sigma: 0.2,
        kvbm: kvbmFor(mode, 2),
      })
  return plan
}

const gate = (g: Partial<GateResult> & Pick<GateResult, 'gate_id' | 'suite_id' | 'status' | 'severity' | 'reason_code' | 'blocker_group'>): GateResult => ({
  scope: null,
  metric: 'value',
  expr: 'value>0',
  observed: null,
  threshold: null,
  message: '',
  evidence: { files: [], details: {} },
  wall_ms: 1_763_800_000_000,
  ...g,
})

export const syntheticGates = (): Record<string, GateResult[]> => ({
  [SWEEP_SUITE]: [
    gate({ gate_id: 'ttft_slo', suite_id: SWEEP_SUITE, scope: 'sweep_c1_B1', metric: 'ttft_ms', expr: 'p(99)<2000', status: 'pass', severity: 'hard', reason_code: 'SLO_MISSED', blocker_group: 'run_validity', observed: 140, threshold: 2000, message: 'TTFT p99 within the SLO' }),
    gate({ gate_id: 'error_rate', suite_id: SWEEP_SUITE, scope: null, metric: 'error_rate', expr: 'rate<=0.01', status: 'pass', severity: 'hard', reason_code: 'ERROR_RATE_HIGH', blocker_group: 'run_validity', observed: 0.002, threshold: 0.01, message: 'error rate ok' }),
    gate({ gate_id: 'disk_rehydrate', suite_id: SWEEP_SUITE, scope: 'replay*', metric: 'kvbm_onboard_blocks_d2d_delta', expr: 'value>0', status: 'fail', severity: 'hard', reason_code: 'NO_DISK_REHYDRATE', blocker_group: 'mechanism_invisibility', observed: 0, threshold: 0, message: 'no disk→device onboarding during replay under B2', evidence: { files: [`${SWEEP_SUITE}/phase_deltas/sweep_c16_B2.json`, `${SWEEP_SUITE}/telemetry/kvbm.jsonl`], details: { onboard_blocks_d2d: 0, onboard_blocks_h2d: 480 } } }),
    gate({ gate_id: 'alignment', suite_id: SWEEP_SUITE, metric: 'aligned_pct', expr: 'value>=95', status: 'fail', severity: 'soft', reason_code: 'ALIGNMENT_LOW', blocker_group: 'attribution_failure', observed: 91.5, threshold: 95, message: 'telemetry alignment 91.5 %' }),
  ],
  [PAIRED_SUITE]: [
    gate({ gate_id: 'paired_repeatability', suite_id: PAIRED_SUITE, metric: 'ttft_p99_ms', expr: 'value<5', status: 'pass', severity: 'hard', reason_code: 'NOT_REPRODUCIBLE', blocker_group: 'reproducibility_failure', observed: 3.1, threshold: 5, message: 'p99 within 5 %' }),
  ],
})

const suiteInfo = (suite_id: string, runId: string, emulated: boolean): SuiteInfo => ({
  suite_id,
  hypothesis: suite_id === SWEEP_SUITE ? 'H2B' : 'paired_repeats',
  // The sweep suite's title repeats its id, as real suites do ("h2b: …"); the report must not say it twice.
  title: suite_id === SWEEP_SUITE ? `${SWEEP_SUITE}: host-tier overflow to NVMe produces a storage knee` : 'B1 vs B2 AB/BA paired repeats',
  tags: [suite_id === SWEEP_SUITE ? 'h2b' : 'paired_repeats'],
  run_id: runId,
  file: `suites/${suite_id}.test.ts`,
  profile: 'smoke',
  emulated,
  target: { kind: emulated ? 'emulator' : 'dynamo', kv_block_bytes: KV_BLOCK_BYTES },
  collectors: ['block_device', 'cpu', 'kvbm'],
  gates: [],
  charts: ['latency_by_step', 'ttft_cdf'],
  started_wall_ms: 1_763_800_000_000,
})

const manifest = (runId: string, emulated: boolean, status: string) => ({
  run_id: runId,
  tierbench_version: '0.1.0',
  status,
  run_valid: false,
  reason_codes: ['RUN_INCOMPLETE'],
  emulated,
  target_kind: emulated ? 'emulator' : 'dynamo',
  profile: 'smoke',
  started_wall: '2026-11-22T17:00:00.000Z',
  ended_wall: null,
  clock_origin_ns: '1000000000',
  host: { hostname: 'test', kernel: '6.1', cpus: 2, cpu_model: 'x', mem_bytes: 8e9, node: process.version },
  git: { commit: null, dirty: null },
  argv: [],
  config: {},
  suites: [SWEEP_SUITE, PAIRED_SUITE],
  provenance: {},
})

export const writeSyntheticRun = async (resultsDir: string, opts: SyntheticRunOptions = {}): Promise<SyntheticRun> => {
  const runId = opts.runId ?? 'run-synthetic'
  const emulated = opts.emulated ?? true
  const runDir = join(resultsDir, runId)
  const rand = mulberry32(42)
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand())
  mkdirSync(join(runDir, 'raw'), { recursive: true })
  writeFileSync(join(runDir, 'manifest.json'), JSON.stringify(manifest(runId, emulated, opts.status ?? 'running'), null, 2))
  const plan = syntheticPlan(opts.requestsPerPhase ?? 200, opts.modes, opts.steps)
  const gates = syntheticGates()
  const suites = [SWEEP_SUITE, PAIRED_SUITE]
  const out = createWriteStream(join(runDir, 'raw', 'requests.jsonl'))
  const phaseLines: Record<string, string[]> = { [SWEEP_SUITE]: [], [PAIRED_SUITE]: [] }
  const telemetry: Record<string, { bd: string[]; kv: string[]; cpu: string[] }> = { [SWEEP_SUITE]: { bd: [], kv: [], cpu: [] }, [PAIRED_SUITE]: { bd: [], kv: [], cpu: [] } }
  const cum: Record<string, number> = {}
  let t = 1000
  let seq = 0
  let buf = ''
  const itlGaps = opts.itlGaps ?? 4
  for (const p of plan) {
    const t0 = t
    const conc = p.step?.concurrency ?? 4
    let errors = 0
    for (let i = 0; i < p.requests; i++) {
      const sent = t0 + (i / conc) * (p.ttft * 1.5)
      const ttft = p.ttft * Math.exp(p.sigma * gauss())
      const outTok = 64
      const tpot = 8 + 2 * rand()
      const ok = rand() > 0.002
      if (!ok) errors++
      const itl = Array.from({ length: itlGaps }, () => Number((tpot * (0.8 + 0.4 * rand())).toFixed(3)))
      const e2e = ttft + tpot * (outTok - 1)
      const rec: RequestRecord = {
        run_id: runId, suite_id: p.suite_id, phase: p.phase, phase_kind: p.kind, mode: p.mode, step: p.step, repetition: p.repetition,
        seq: seq++, request_id: `req-${seq}`, workload: 'shared_prefix', endpoint: 'completions', stream: true, max_tokens: outTok,
        prompt_sha: 'a'.repeat(64), params_hash: 'b'.repeat(64), identity_hash: `id-${i % 50}`, payload_hash: 'c'.repeat(64), prompt_tokens_expected: 4096,
        t_scheduled_ms: sent - 0.05, t_sent_ms: sent, t_headers_ms: sent + 2, t_first_chunk_ms: sent + ttft - 1, t_first_token_ms: ok ? sent + ttft : null,
        t_last_token_ms: ok ? sent + e2e : null, t_end_ms: sent + e2e + 0.5, wall_sent_ms: 1_763_800_000_000 + sent,
        schedule_delay_ms: 0.05, ttfb_ms: 2, ttfc_ms: ttft - 1, ttft_ms: ok ? ttft : null, ttft_from_schedule_ms: ok ? ttft + 0.05 : null,
        tpot_ms: ok ? tpot : null, e2e_ms: e2e, itl_ms: itl, ok, http_status: ok ? 200 : 503, error_class: ok ? null : 'http_5xx',
        error_message: ok ? null : 'Expected status 200, got 503', input_tokens: 4096, input_tokens_source: 'usage', output_tokens: ok ? outTok : 0,
        output_tokens_source: 'usage', cached_tokens: 2048, output_sha: ok ? 'd'.repeat(64) : null, response_id: `cmpl-${seq}`, x_request_id: null,
        server_timing: { received_ms: sent + 0.3, first_token_ms: ok ? sent + ttft - 0.4 : null, last_token_ms: ok ? sent + e2e - 0.4 : null },
      }
      buf += `${JSON.stringify(rec)}\n`
      if (buf.length > 1 << 20) {
        if (!out.write(buf)) await once(out, 'drain')
        buf = ''
      }
    }
    const t1 = t0 + (p.requests / conc) * p.ttft * 1.5 + 2000
    // Telemetry at 200 ms across the phase, on the same clock; r_await rises with concurrency.
    const tel = telemetry[p.suite_id]!
    for (let ts = t0; ts < t1; ts += 200) {
      const rAwait = 0.2 + 0.05 * conc * (p.mode === 'B2' ? 2 : 1) + 0.02 * rand()
      tel.bd.push(JSON.stringify({ t_ms: ts, wall_ms: 1_763_800_000_000 + ts, device: 'nvme0n1', r_s: 50 * conc, w_s: 20 * conc, rMB_s: 6 * conc, wMB_s: 2 * conc, r_await_ms: rAwait, w_await_ms: 0.4, aqu_sz: 0.1 * conc, util_pct: Math.min(100, 3 * conc) }))
      tel.cpu.push(JSON.stringify({ t_ms: ts, wall_ms: 1_763_800_000_000 + ts, user_pct: 30, system_pct: 5, iowait_pct: 0.5 + 0.1 * conc + 0.05 * rand(), idle_pct: 60 }))
      if (p.kvbm) for (const [k, v] of Object.entries(p.kvbm)) if (!k.includes('hit_rate')) cum[k] = (cum[k] ?? 0) + v / ((t1 - t0) / 200)
      tel.kv.push(JSON.stringify({ t_ms: ts, wall_ms: 1_763_800_000_000 + ts, values: { ...Object.fromEntries(Object.entries(cum).map(([k, v]) => [k, Math.round(v)])), kvbm_host_cache_hit_rate: 0.5 } }))
    }
    const rec: PhaseRecord = {
      suite_id: p.suite_id, phase: p.phase, kind: p.kind, mode: p.mode, leg: p.leg, repetition: p.repetition, step: p.step,
      executor: { type: 'constant-vus', vus: conc }, workload: 'shared_prefix', contention: null,
      t_start_ms: t0, t_end_ms: t1, wall_start_ms: 1_763_800_000_000 + t0, wall_end_ms: 1_763_800_000_000 + t1,
      requests: p.requests, errors, dropped: 0, late_sends: 0, summary: {},
      deltas: {
        kvbm: p.kvbm,
        block_device: { read_ios: 100 * conc, read_ticks_ms: 100 * conc * (0.2 + 0.05 * conc), read_bytes: (p.kvbm?.kvbm_onboard_blocks_d2d ?? 0) * KV_BLOCK_BYTES * 1.05, write_bytes: (p.kvbm?.kvbm_offload_blocks_h2d ?? 0) * KV_BLOCK_BYTES * 1.1 },
        process_io: { read_bytes: (p.kvbm?.kvbm_onboard_blocks_d2d ?? 0) * KV_BLOCK_BYTES, write_bytes: (p.kvbm?.kvbm_offload_blocks_h2d ?? 0) * KV_BLOCK_BYTES },
      },
      missing_metrics: { kvbm: [] }, attribution: { block_bytes: KV_BLOCK_BYTES, confidence: 0.9 },
      interrupted: false, stop_reason: null, notes: [],
    }
    phaseLines[p.suite_id]!.push(JSON.stringify(rec))
    t = t1 + 500
  }
  if (opts.truncateRequests) buf += '{"run_id":"run-synthetic","suite_id":"h2b","phase":"sweep_c16_B2","ttft_ms":12'
  out.end(buf)
  await once(out, 'finish')
  for (const s of suites) {
    const dir = join(runDir, s)
    mkdirSync(join(dir, 'raw'), { recursive: true })
    mkdirSync(join(dir, 'telemetry'), { recursive: true })
    writeFileSync(join(dir, 'suite.json'), JSON.stringify(suiteInfo(s, runId, emulated), null, 2))
    writeFileSync(join(dir, 'raw', 'phases.jsonl'), phaseLines[s]!.join('\n') + '\n')
    writeFileSync(join(dir, 'raw', 'gates.jsonl'), gates[s]!.map((g) => JSON.stringify(g)).join('\n') + '\n')
    const headline =
      s === SWEEP_SUITE
        ? [
            { t_ms: 1, type: 'host_load', phase: 'sweep_c16_B2', load_per_core: 2.1, problems: ['load average 4.2 on 2 cores'] },
            { t_ms: 1, type: 'host_load', phase: 'sweep_c32_B2', load_per_core: 0.2, problems: [] },
            { t_ms: 2, type: 'figure', key: 'headline', value: 'TTFT knee at 32 sessions: p99 900 ms vs 120 ms.' },
          ]
        : []
    writeFileSync(join(dir, 'raw', 'events.jsonl'), [{ t_ms: 0, type: 'mode_change', mode: 'B1' }, ...headline].map((e) => JSON.stringify(e)).join('\n') + '\n')
    writeFileSync(join(dir, 'telemetry', 'block_device.jsonl'), telemetry[s]!.bd.join('\n') + '\n')
    writeFileSync(join(dir, 'telemetry', 'cpu.jsonl'), telemetry[s]!.cpu.join('\n') + '\n')
    writeFileSync(join(dir, 'telemetry', 'kvbm.jsonl'), telemetry[s]!.kv.join('\n') + '\n')
    if (opts.writeTests ?? true) {
      const phases = plan.filter((p) => p.suite_id === s)
      const tests: SuiteTests = {
        suite_id: s,
        module: `suites/${s}.test.ts`,
        tests: phases.map((p) => ({ name: `phase ${p.phase}`, full_name: `${s} > phase ${p.phase}`, state: 'passed', tags: [], duration_ms: 1000, errors: [] })),
        run_reason: 'failed',
        run_errors: [],
        written_wall: '2026-11-22T17:10:00.000Z',
      }
      if (s === SWEEP_SUITE) tests.tests.push({ name: 'gate disk_rehydrate', full_name: `${s} > gate disk_rehydrate`, state: 'failed', tags: [], duration_ms: 5, errors: ['gate disk_rehydrate (NO_DISK_REHYDRATE): expected value>0, observed 0'] })
      writeFileSync(join(dir, 'tests.json'), JSON.stringify(tests, null, 2))
    }
  }
  return { runDir, runId, suites, requests: seq }
}
