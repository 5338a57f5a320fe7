import { GATE_DISK_REHYDRATE } from '../helpers/gates/catalog'
import type { Gate } from '../helpers/gates/gate'
import { pearson } from '../helpers/analysis/correlation'
import { diskRehydrateFigure, figureInput, kvbmDelta } from '../helpers/analysis/mechanism'
import { resampleToWindows, seriesWindows } from '../helpers/analysis/series-windows'
import { readJsonlSync } from '../helpers/bundle/read-jsonl'
import { type PhasePlan, defineHypothesis } from '../helpers/suite/define-hypothesis'
import { spillWorkload } from '../helpers/suite/spill-workload'
import { counterRate, seriesField, type TelemetryRow } from '../helpers/suite/phase-figures'

// H3 (v3.0 plan §8.5, stacks A and B): OS counters are informative for stack A and insufficient
// for stack B. Method: the same spill workload (a prompt pool larger than G1 + G2) on an A leg (B0)
// and a B leg (B2), each populated then replayed. For A the OS view is complete: the server reads
// nothing from storage, so storage cannot explain A's tails (they come from prefill and queueing).
// For B the OS sees only the disk share of the KV movement: host-tier onboards (G2 → G1) change
// TTFT without a single device IO, and device reads cannot be tied to requests. Per window, TTFT
// p99 is correlated with the OS signals (r_await, iowait, process read rate) and with KVBM's disk
// onboard rate; KVBM's correlation beating the OS's is reported as a soft gate (few windows in smoke).

const A_OS_COMPLETE: Gate = {
  id: 'h3_a_no_storage_io',
  metric: 'stack_a_process_read_bytes',
  expr: 'value==0',
  severity: 'hard',
  reason_code: 'H3_A_STORAGE_IO',
  reason: 'On stack A the serving process must read nothing from storage: then the OS counters alone settle that storage does not drive the tails.',
  blocker_group: 'control_gap',
  // No applies_to: the conclusion runs after the B leg (mode B2); the gate is scoped to the A leg.
  evidence_role: 'os_corroboration',
}

const B_OS_BLIND: Gate = {
  id: 'h3_b_kv_invisible_to_os',
  metric: 'host_onboard_share_pct',
  expr: 'value>0',
  severity: 'hard',
  reason_code: 'H3_B_NOTHING_HIDDEN',
  reason: 'On stack B part of the onboarded KV (host tier, G2 → G1) must move without device IO: OS counters miss it, so they are insufficient without KVBM counters.',
  blocker_group: 'mechanism_invisibility',
  applies_to: { modes: ['B1', 'B2', 'B2p'] },
  evidence_role: 'mechanism',
}

const KVBM_EXPLAINS: Gate = {
  id: 'h3_b_kvbm_explains_better',
  metric: 'r_kvbm_minus_r_os',
  expr: 'value>0',
  severity: 'soft',
  reason_code: 'H3_KVBM_NO_BETTER',
  reason: 'On stack B, TTFT p99 per window should correlate more with KVBM disk onboard rate than with the best OS signal (|r|); soft: smoke phases give few windows.',
  blocker_group: 'attribution_failure',
  allow_no_data: true,
  evidence_role: 'os_corroboration',
}

defineHypothesis({
  id: 'h3',
  title: 'h3: OS storage counters explain stack A but miss the KV movement that drives stack B',
  tags: ['h3', 'stack:A', 'stack:B', 'mode:B0', 'mode:B2', 'dataset:S'],
  // A claim about what the OS counters can and cannot see next to the KVBM counters.
  evidence: ['mechanism', 'os_corroboration', 'repeatability'],
  charts: ['iowait_vs_p99', 'p99_vs_r_await', 'block_io_timeseries', 'kvbm_timeseries', 'mode_compare'],
  gates: [A_OS_COMPLETE, B_OS_BLIND, KVBM_EXPLAINS, GATE_DISK_REHYDRATE],
  phases: (s) => {
    const smoke = s.profileName === 'smoke'
    const spill = spillWorkload(s, 'h3-spill')
    const { contextTokens, pool, workload } = spill
    const plans: PhasePlan[] = []
    for (const [stack, mode] of [['A', 'B0'], ['B', 'B2']] as const) {
      plans.push({ name: `stack${stack}-populate`, kind: 'warmup', mode, ...spill.forMode(mode), leg: `stack ${stack}`, workload: spill.populate.workload, executor: spill.populate.executor })
      plans.push({
        name: `stack${stack}-replay`,
        kind: 'measure',
        mode,
        ...spill.forMode(mode),
        leg: `stack ${stack}`,
        workload,
        executor: {
          type: 'constantConcurrency',
          concurrency: 4,
          duration_s: s.profile.phase_s,
          ...(s.profile.max_requests_per_phase ? { iterations: Math.min(s.profile.max_requests_per_phase, 24) } : {}),
        },
      })
    }
    return plans
  },
  conclude: (c) => {
    const windowMs = c.settings.profileName === 'smoke' ? 500 : 1000
    const cpu = readJsonlSync<TelemetryRow>(c.layout.telemetrySeries('cpu')).rows
    const bd = readJsonlSync<TelemetryRow>(c.layout.telemetrySeries('block_device')).rows
    const pio = readJsonlSync<TelemetryRow>(c.layout.telemetrySeries('process_io')).rows
    const kv = readJsonlSync<TelemetryRow>(c.layout.telemetrySeries('kvbm')).rows
    const legs = ['A', 'B'].map((stack) => {
      const o = c.phases.get(`stack${stack}-replay`)
      if (!o) return { stack, missing: true as const }
      const w = seriesWindows(o.requests, { window_ms: windowMs, start_ms: o.record.t_start_ms, end_ms: o.record.t_end_ms })
      const p99 = w.map((x) => x.ttft_p99_ms)
      const r = {
        r_await: pearson(p99, resampleToWindows(w, seriesField(bd, 'r_await_ms'))),
        iowait: pearson(p99, resampleToWindows(w, seriesField(cpu, 'iowait_pct'))),
        process_read_rate: pearson(p99, resampleToWindows(w, seriesField(pio, 'read_bytes_s'))),
        kvbm_disk_onboard_rate: pearson(p99, resampleToWindows(w, counterRate(kv, 'kvbm_onboard_blocks_d2d'))),
      }
      const h2d = kvbmDelta(o.record.deltas.kvbm, 'onboard_blocks_h2d')
      const d2d = kvbmDelta(o.record.deltas.kvbm, 'onboard_blocks_d2d')
      return {
        stack,
        phase: o.plan.name,
        windows: w.length,
        ttft_p50_ms: o.summary.ttft_ms.p50,
        ttft_p99_ms: o.summary.ttft_ms.p99,
        process_read_bytes: o.record.deltas.process_io?.read_bytes ?? null,
        device_read_bytes: o.record.deltas.block_device?.read_bytes ?? null,
        onboard_blocks_h2d: h2d,
        onboard_blocks_d2d: d2d,
        correlation_with_ttft_p99: r,
      }
    })
    c.note('h3_legs', legs)
    const a = legs.find((l) => l.stack === 'A' && !('missing' in l)) as Exclude<(typeof legs)[number], { missing: true }> | undefined
    const b = legs.find((l) => l.stack === 'B' && !('missing' in l)) as Exclude<(typeof legs)[number], { missing: true }> | undefined
    c.gate(A_OS_COMPLETE, { value: a?.process_read_bytes ?? null, scope: 'stackA-replay', details: { leg: a } })
    c.gate(GATE_DISK_REHYDRATE, { ...figureInput(diskRehydrateFigure(b ? c.phases.get(b.phase)?.record.deltas : undefined)), scope: 'stackB-replay' })
    const h2d = b?.onboard_blocks_h2d ?? null
    const d2d = b?.onboard_blocks_d2d ?? null
    c.gate(B_OS_BLIND, { value: h2d !== null && d2d !== null && h2d + d2d > 0 ? (100 * h2d) / (h2d + d2d) : null, scope: 'stackB-replay', details: { onboard_blocks_h2d: h2d, onboard_blocks_d2d: d2d } })
    const rb = b?.correlation_with_ttft_p99
    const os = rb ? [rb.r_await, rb.iowait, rb.process_read_rate].filter((x): x is number => x !== null).map(Math.abs) : []
    c.gate(KVBM_EXPLAINS, {
      value: rb?.kvbm_disk_onboard_rate != null ? Math.abs(rb.kvbm_disk_onboard_rate) - (os.length ? Math.max(...os) : 0) : null,
      scope: 'stackB-replay',
      details: { correlation_with_ttft_p99: rb ?? null },
    })
  },
})
