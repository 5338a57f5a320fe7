import { GATE_DISK_REHYDRATE } from '../helpers/gates/catalog'
import type { Gate } from '../helpers/gates/gate'
import { spearman } from '../helpers/analysis/correlation'
import { diskRehydrateFigure, figureInput, kvbmDelta, tier2HitPct } from '../helpers/analysis/mechanism'
import { resampleToWindows, seriesWindows } from '../helpers/analysis/series-windows'
import { readJsonlSync } from '../helpers/bundle/read-jsonl'
import { type PhaseOutcome, type PhasePlan, defineHypothesis } from '../helpers/suite/define-hypothesis'
import { fixedContext } from '../helpers/workload/fixed-context'
import { diskTierHolding } from '../helpers/suite/spill-sizing'
import { counterRate, phaseReadAwaitMs, type TelemetryRow } from '../helpers/suite/phase-figures'

// H8B (v3.0 plan §8.11, stack B): once the NVMe tier is engaged, host storage signals (device
// reads, r_await, CPU iowait) track tier-2 activity and the tails. Method: a B2 working-set sweep at
// fixed concurrency and context: a pool that fits in G1, one that fits in G1 + G2 (host hits only),
// and one that spills to G3. Per step: Δonboard_blocks_d2d, device/process read bytes, r_await,
// mean iowait; per window, Spearman of iowait and of process read rate with the disk onboard rate.
// iowait accrues only while a CPU is idle with IO outstanding: on a saturated host (a 2-core CI box
// shared with other jobs) it stays at 0 whatever the disk does, so its correlation is a soft gate;
// the device-read tracking is hard.

const CONCURRENCY = 4

const READS_TRACK: Gate = {
  id: 'h8b_reads_track_tier2',
  metric: 'spill_step_read_bytes_over_no_spill',
  expr: 'value>=10',
  severity: 'hard',
  reason_code: 'H8B_READS_UNTRACKED',
  reason: 'The step that spills to the disk tier must read at least 10 x the bytes of the steps that do not (floor 1 MiB): device reads must follow tier-2 activity.',
  blocker_group: 'attribution_failure',
  applies_to: { modes: ['B2', 'B2p', 'B3'] },
  evidence_role: 'os_corroboration',
}

const IOWAIT_TRACKS: Gate = {
  id: 'h8b_iowait_tracks_tier2',
  metric: 'iowait_vs_onboard_rate_rho',
  expr: 'value>=0.3',
  severity: 'soft',
  reason_code: 'H8B_IOWAIT_UNTRACKED',
  reason: 'Per window, CPU iowait should rise with the disk onboard rate (Spearman ≥ 0.3); soft because iowait is 0 on a host whose CPUs are never idle.',
  blocker_group: 'attribution_failure',
  applies_to: { modes: ['B2', 'B2p', 'B3'] },
  allow_no_data: true,
  evidence_role: 'os_corroboration',
}

defineHypothesis({
  id: 'h8b',
  title: 'h8b: once the NVMe KV tier is engaged, device reads and iowait track tier-2 activity',
  tags: ['h8b', 'stack:B', 'mode:B2', 'dataset:S'],
  // iowait and device reads (OS) track disk-tier onboarding (mechanism).
  evidence: ['mechanism', 'os_corroboration', 'repeatability'],
  charts: ['iowait_vs_p99', 'p99_vs_r_await', 'tier_hit_by_step', 'block_io_timeseries', 'kvbm_timeseries'],
  gates: [READS_TRACK, IOWAIT_TRACKS, GATE_DISK_REHYDRATE],
  phases: (s) => {
    const smoke = s.profileName === 'smoke'
    // Three pools sized from the target's tiers: one that fits the device tier (half of it), one
    // that fits device + host but not the device (device + half the host), one that spills to disk
    // (1.5 x device + host). tiny (1024-token prompts): 1, 6 and 14 prompts against G1 96 + G2 192
    // blocks. full: a tier plan with a 131,072-token device tier and a host tier twice that (34 GB),
    // because on a Spark's unified memory a host tier larger than the engine's own 725k-token device
    // tier cannot exist: 7,600-token prompts, 8 / 34 / 78 prompts.
    const contextTokens = smoke ? 1024 : 7600
    const maxTokens = smoke ? 16 : 128
    const tiers = smoke ? {} : { device_kv_tokens: 131_072, host_tier_bytes: 2 * 131_072 * s.model.kv_bytes_per_token }
    const eff = s.expectedTiers('B2', tiers)
    const D = eff.device_kv_tokens
    const H = eff.host_tier_tokens
    const derived = D !== null && H !== null
      ? [Math.max(1, Math.floor((0.5 * D) / contextTokens)), Math.floor((D + 0.5 * H) / contextTokens), Math.ceil((1.5 * (D + H)) / contextTokens)]
      : null
    const pools = derived && derived[0] < derived[1] && derived[1] < derived[2] ? derived : smoke ? [2, 6, 16] : [8, 34, 78]
    const spillPool = pools[pools.length - 1]
    // The spill pool's phases carry the claim; the disk tier is planned to hold it.
    const spillTiers = diskTierHolding(s, 'B2', tiers, spillPool * (contextTokens + maxTokens))
    const plans: PhasePlan[] = []
    for (const pool of pools) {
      const workload = (p: { target: { model: string; maxInputTokens: number | null } }) =>
        fixedContext(s.workloadContext(p.target.model, { maxInputTokens: p.target.maxInputTokens }), {
          name: `h8b-pool${pool}`,
          contextTokens,
          promptPool: pool,
          params: { max_tokens: maxTokens },
        })
      const step = { prompt_pool: pool, context_tokens: contextTokens }
      const sizing = { tiers: spillTiers, ...(pool === spillPool ? { workingSet: { tokens: pool * contextTokens, exceeds: 'device+host' as const, factor: 1.2, fitsDisk: true } } : {}) }
      plans.push({ name: `pool${pool}-populate`, kind: 'warmup', mode: 'B2', ...sizing, step, workload, executor: { type: 'constantConcurrency', concurrency: 1, iterations: 2 * pool } })
      plans.push({
        name: `pool${pool}-replay`,
        kind: 'measure',
        mode: 'B2',
        ...sizing,
        step,
        workload,
        executor: {
          type: 'constantConcurrency',
          concurrency: CONCURRENCY,
          duration_s: s.profile.phase_s,
          ...(s.profile.max_requests_per_phase ? { iterations: Math.min(s.profile.max_requests_per_phase, 32) } : {}),
        },
      })
    }
    return plans
  },
  conclude: (c) => {
    const replays = [...c.phases.values()].filter((o) => o.plan.kind === 'measure')
    const cpu = readJsonlSync<TelemetryRow>(c.layout.telemetrySeries('cpu')).rows
    const kv = readJsonlSync<TelemetryRow>(c.layout.telemetrySeries('kvbm')).rows
    const pio = readJsonlSync<TelemetryRow>(c.layout.telemetrySeries('process_io')).rows
    const d2dRate = counterRate(kv, 'kvbm_onboard_blocks_d2d')
    const windowMs = c.settings.profileName === 'smoke' ? 500 : 1000
    const onboard: (number | null)[] = []
    const iowait: (number | null)[] = []
    const readRate: (number | null)[] = []
    const p99: (number | null)[] = []
    const steps = replays.map((o) => {
      const w = seriesWindows(o.requests, { window_ms: windowMs, start_ms: o.record.t_start_ms, end_ms: o.record.t_end_ms })
      const iw = resampleToWindows(w, cpu.map((r) => ({ t_ms: r.t_ms, value: (r.iowait_pct as number | null) ?? null })))
      onboard.push(...resampleToWindows(w, d2dRate))
      iowait.push(...iw)
      readRate.push(...resampleToWindows(w, pio.map((r) => ({ t_ms: r.t_ms, value: (r.read_bytes_s as number | null) ?? null }))))
      p99.push(...w.map((x) => x.ttft_p99_ms))
      const known = iw.filter((x): x is number => x !== null)
      return {
        phase: o.plan.name,
        prompt_pool: Number(o.plan.step?.prompt_pool),
        onboard_blocks_d2d: kvbmDelta(o.record.deltas.kvbm, 'onboard_blocks_d2d'),
        tier2_hit_pct: tier2HitPct(o.record.deltas.kvbm),
        process_read_bytes: o.record.deltas.process_io?.read_bytes ?? null,
        device_read_bytes: o.record.deltas.block_device?.read_bytes ?? null,
        r_await_ms: phaseReadAwaitMs(o),
        iowait_pct: known.length ? known.reduce((a, b) => a + b, 0) / known.length : null,
        ttft_p99_ms: o.summary.ttft_ms.p99,
      }
    })
    const rho = {
      iowait_vs_onboard: spearman(iowait, onboard),
      read_rate_vs_onboard: spearman(readRate, onboard),
      ttft_p99_vs_iowait: spearman(p99, iowait),
      ttft_p99_vs_onboard: spearman(p99, onboard),
    }
    c.note('h8b_steps', { steps, window_ms: windowMs, spearman: rho })
    const spill = steps[steps.length - 1]
    const rest = steps.slice(0, -1)
    const bytes = (st: (typeof steps)[number]) => st.process_read_bytes ?? st.device_read_bytes
    const restMax = Math.max(1 << 20, ...rest.map((st) => bytes(st) ?? 0))
    c.gate(GATE_DISK_REHYDRATE, { ...figureInput(diskRehydrateFigure(spill ? c.phases.get(spill.phase)?.record.deltas : undefined)), scope: spill?.phase ?? null })
    c.gate(READS_TRACK, { value: spill && bytes(spill) !== null ? (bytes(spill) as number) / restMax : null, scope: 'pool*-replay', details: { steps } })
    c.gate(IOWAIT_TRACKS, { value: rho.iowait_vs_onboard, scope: 'pool*-replay', details: { spearman: rho, windows: onboard.length } })
  },
})
