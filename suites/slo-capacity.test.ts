import { type BracketResult, type Slo, bracketThenBisect } from '../helpers/analysis/slo-capacity'
import { kvbmDelta } from '../helpers/analysis/mechanism'
import type { KvModeId } from '../helpers/config/kv-mode'
import type { Gate } from '../helpers/gates/gate'
import { type LoadPhasePlan, type PhaseApi, type PhaseOutcome, type PhasePlan, STANDARD_PHASE_GATES, defineHypothesis } from '../helpers/suite/define-hypothesis'
import type { SuiteSettings } from '../helpers/suite/suite-settings'
import { fixedContext } from '../helpers/workload/fixed-context'
import { ragLongdoc } from '../helpers/workload/rag-longdoc'
import { workloadFamily } from '../helpers/workload/workload-family'

// slo_capacity (canonical plan W2 style 2 "fixed SLO → feature set", prior harness Phase60): the
// largest concurrency, arrival rate and context each mode sustains under the run's SLO preset
// (TTFT p99, TTFT p95 when the preset sets one, error rate). Searches are bracket-then-bisect
// (helpers/analysis/slo-capacity.ts) inside custom phases, one search per axis and mode:
//   concurrency — family B agent loops (sessions executor, `users` = x): growing sessions evict
//                 each other's KV, which the host/disk tiers bring back;
//   rate        — family A copilot (shared prefix) at x requests/s, Poisson arrivals (open loop);
//   context     — family C RAG long-doc, documents of x tokens, 4 questions each, concurrency 2.
// The SLO metric is the one compared: TTFT (client, from send) everywhere — never an SLO derived
// from e2e and compared on TTFT (prior harness hazard §8.4). Every probe uses its own seed so no
// probe replays a previous probe's prompts (no cache carry-over between probes).
//
// On the emulator the preset's limits are multiplied by the profile's time scale (kvsim multiplies
// modeled compute time by it; real disk IO is never scaled, so disk-heavy modes pay relatively
// more there than on hardware).

const MODES: KvModeId[] = ['B1', 'B2']
// The device tier must hold one family-A prompt (3072-token prefix) and the longest agent loop.
const G1_BLOCKS = { smoke: 512, full: 4096 }

const sloFor = (s: SuiteSettings): Slo & { scale: number; preset: string } => {
  const scale = s.targetKind === 'emulator' ? s.profile.emulator.time_scale : 1
  const p = s.config.slo
  return {
    metric: 'ttft_ms',
    p99_ms: p.ttft_p99_ms * scale,
    ...(p.ttft_p95_ms !== undefined ? { p95_ms: p.ttft_p95_ms * scale } : {}),
    error_rate_max: p.max_error_rate,
    scale,
    preset: p.id,
  }
}

const sloGate = (slo: Slo): Gate => ({
  id: 'slo_ttft_p99',
  metric: 'ttft_ms',
  expr: `p(99)<=${Number(slo.p99_ms!.toFixed(3))}`,
  severity: 'soft',
  reason_code: 'SLO_MISSED',
  reason: 'This probe missed the TTFT p99 SLO: expected for probes past the capacity; the search records where that starts.',
  // A probe past the capacity is the search's measurement, not a blocker: control_gap keeps it out
  // of run validity and out of the evidence chain (a run_validity failure would invalidate the run).
  blocker_group: 'control_gap',
})

const GATE_SLO_SEARCH: Gate = {
  id: 'slo_search_found_capacity',
  metric: 'slo_capacity_found',
  expr: 'min==1',
  severity: 'soft',
  reason_code: 'SLO_NOT_MET_AT_LOWEST_STEP',
  reason: 'The lowest probe of a search already missed the SLO: this mode sustains nothing on that axis at this SLO, so there is no capacity to compare.',
  blocker_group: 'control_gap',
}

const GATE_B2_CAPACITY: Gate = {
  id: 'b2_capacity_gain',
  metric: 'b2_vs_b1_capacity_sign',
  expr: 'value>0',
  severity: 'soft',
  reason_code: 'NO_FEATURE_SET_GAIN',
  reason: 'B2 (SSD tier) sustains no more concurrency, rate or context than B1 at the same SLO on any axis (sign of B2 − B1 capacity, nothing sustained ranking lowest): no "feature set at fixed latency" gain.',
  blocker_group: 'reproducibility_failure',
  evidence_role: 'user_impact',
}

type Axis = 'concurrency' | 'rate' | 'context'

const SEARCH = {
  smoke: {
    concurrency: { lo: 1, hi: 8, maxProbes: 3, turns: 4 },
    rate: { lo: 2, hi: 64, maxProbes: 3, duration_s: 1.5 },
    context: { lo: 1024, hi: 7600, maxProbes: 3, tolerance: 1024, requests: 8 },
    maxTokens: 16,
  },
  full: {
    concurrency: { lo: 1, hi: 64, maxProbes: 8, turns: 8 },
    rate: { lo: 0.25, hi: 16, maxProbes: 8, duration_s: 300 },
    context: { lo: 2048, hi: 7600, maxProbes: 6, tolerance: 256, requests: 64 },
    maxTokens: 256,
  },
}

defineHypothesis({
  id: 'slo_capacity',
  title: 'slo_capacity: at a fixed TTFT and error-rate SLO, the SSD tier (B2) sustains more concurrency, rate or context than B1',
  tags: ['slo_capacity', 'stack:B', 'mode:B1', 'mode:B2', 'workload:A', 'workload:B', 'workload:C', 'dataset:S'],
  // Capacity under an SLO is a user-visible figure.
  evidence: ['user_impact', 'repeatability'],
  charts: ['slo_capacity', 'latency_by_step', 'kvbm_deltas_by_phase'],
  gates: [GATE_SLO_SEARCH, GATE_B2_CAPACITY],
  phases: (s) => {
    const cfg = SEARCH[s.profileName]
    const slo = sloFor(s)
    // A device tier the search can overflow, as a tier plan every driver honours.
    const tiers = { device_kv_tokens: G1_BLOCKS[s.profileName] * s.model.tokens_per_block }
    const gates = [...STANDARD_PHASE_GATES, { gate: sloGate(slo), input: (o: PhaseOutcome) => ({ values: o.requests.flatMap((r) => (r.ok && r.ttft_ms !== null ? [r.ttft_ms] : [])) }) }]
    const ctxFor = (api: PhaseApi, seedOffset: number) =>
      s.workloadContext(api.target.model, { maxInputTokens: api.target.maxInputTokens, seed: s.seed + seedOffset, params: { max_tokens: cfg.maxTokens } })

    const probePlan = (api: PhaseApi, mode: KvModeId, axis: Axis, x: number, n: number): LoadPhasePlan => {
      const base = { mode, tiers, leg: `${mode} ${axis}`, gates }
      const seedOffset = 1000 * (MODES.indexOf(mode) + 1) + 100 * ['concurrency', 'rate', 'context'].indexOf(axis) + n
      if (axis === 'concurrency')
        return {
          ...base,
          name: `${mode}-concurrency-${x}`,
          // Concurrency probes are the measured sweep the slo_capacity chart reads; rate and
          // context probes are `probe` phases (other step axes, same gates).
          kind: 'measure',
          step: { concurrency: x },
          workload: () => workloadFamily('B', 'S', { ctx: ctxFor(api, seedOffset), sessions: x, turns: cfg.concurrency.turns }),
          executor: { type: 'sessions', users: x, think_time_ms: { mean: 0, stddev: 0 }, max_sessions: x, seed: 1 },
        }
      if (axis === 'rate')
        return {
          ...base,
          name: `${mode}-rate-${x}`,
          kind: 'probe',
          step: { rate_per_s: x },
          workload: () => workloadFamily('A', 'S', { ctx: ctxFor(api, seedOffset) }),
          executor: { type: 'arrivalRate', rate: x, time_unit_s: 1, distribution: 'poisson', duration_s: cfg.rate.duration_s, max_in_flight: 64, seed: seedOffset },
        }
      const docs = Math.ceil(cfg.context.requests / 4)
      return {
        ...base,
        name: `${mode}-context-${x}`,
        kind: 'probe',
        step: { context_tokens: x },
        workload: () => ragLongdoc(ctxFor(api, seedOffset), { name: 'family_C_S', documentTokens: x, questionsPerDocument: 4, documents: docs }),
        executor: { type: 'constantConcurrency', concurrency: 2, iterations: docs * 4 },
      }
    }

    const plans: PhasePlan[] = []
    for (const mode of MODES) {
      plans.push({
        name: `${mode}-warmup`,
        kind: 'warmup',
        mode,
        tiers,
        leg: mode,
        workload: (c) => fixedContext(s.workloadContext(c.target.model, { maxInputTokens: c.target.maxInputTokens }), { name: `slo_warmup_${mode}`, contextTokens: 256, requests: 2, nonce: 'per_request', params: { max_tokens: cfg.maxTokens } }),
        executor: { type: 'constantConcurrency', concurrency: 1, iterations: 2 },
      })
      for (const axis of ['concurrency', 'rate', 'context'] as const) {
        plans.push({
          name: `${mode}-search-${axis}`,
          kind: 'probe',
          mode,
          tiers,
          leg: `${mode} ${axis}`,
          run: async (api) => {
            const a = cfg[axis]
            let n = 0
            const seen = new Map<number, PhaseOutcome>()
            const result: BracketResult = await bracketThenBisect({
              lo: a.lo,
              hi: a.hi,
              slo,
              maxProbes: a.maxProbes,
              integer: axis === 'concurrency',
              ...(axis === 'context' ? { tolerance: cfg.context.tolerance } : {}),
              measure: async (raw) => {
                // Contexts are whole tokens, rates kept to 2 decimals; an already measured point is reused.
                const x = axis === 'context' ? Math.round(raw) : axis === 'rate' ? Math.round(raw * 100) / 100 : raw
                const done = seen.get(x)
                if (done) return done.summary
                const o = await api.runPhase(probePlan(api, mode, axis, x, n++))
                seen.set(x, o)
                return o.summary
              },
            })
            api.note(`capacity_${mode}_${axis}`, { ...result, slo: { metric: slo.metric, p99_ms: slo.p99_ms, p95_ms: slo.p95_ms ?? null, error_rate_max: slo.error_rate_max, preset: slo.preset, time_scale: slo.scale } })
            api.event('slo_search', { mode, axis, ...result })
            api.gate(GATE_SLO_SEARCH, { value: result.capacity_x === null ? 0 : 1, details: { mode, axis, ...result } })
          },
        })
      }
    }
    return plans
  },
  conclude: (c) => {
    const slo = sloFor(c.settings)
    const all = [...c.phases.values()]
    const capacity = (mode: KvModeId, axis: Axis): number | null => {
      // Same rule as the search: the largest passing probe below the smallest failing one.
      const probes = all.filter((o) => o.plan.leg === `${mode} ${axis}`)
      const fails = probes.filter((o) => !passes(o, slo)).map((o) => stepOf(o))
      const minFail = fails.length ? Math.min(...fails) : Number.POSITIVE_INFINITY
      const ok = probes.filter((o) => passes(o, slo) && stepOf(o) < minFail).map((o) => stepOf(o))
      return ok.length ? Math.max(...ok) : null
    }
    const table = (['concurrency', 'rate', 'context'] as const).map((axis) => {
      const b1 = capacity('B1', axis)
      const b2 = capacity('B2', axis)
      // A mode that sustains nothing (null) ranks below any capacity: B2 sustaining something
      // B1 cannot is a gain (+1 in sign), the reverse a loss; both null compares nothing.
      const sign = b1 === null && b2 === null ? null : b1 === null ? 1 : b2 === null ? -1 : Math.sign(b2 - b1)
      return { axis, b1, b2, b2_minus_b1: b1 === null || b2 === null ? null : b2 - b1, sign }
    })
    c.note('capacity_table', { slo, table })
    c.note(
      'probe_mechanism',
      all.filter((o) => o.plan.kind !== 'warmup').map((o) => ({ phase: o.plan.name, onboard_blocks_d2d: kvbmDelta(o.record.deltas.kvbm, 'onboard_blocks_d2d'), onboard_blocks_h2d: kvbmDelta(o.record.deltas.kvbm, 'onboard_blocks_h2d'), ttft_p99_ms: o.summary.ttft_ms.p99 })),
    )
    // Gain on any axis counts (feature set at fixed latency); sign only, per-axis units differ.
    const gains = table.flatMap((t) => (t.sign === null ? [] : [t.sign]))
    c.gate(GATE_B2_CAPACITY, { value: gains.length ? Math.max(...gains) : null, details: { table } })
  },
})

const stepOf = (o: PhaseOutcome): number => Number(Object.values(o.plan.step ?? {})[0])

const passes = (o: PhaseOutcome, slo: Slo): boolean => {
  const t = o.summary.ttft_ms
  const err = o.summary.error_rate
  return (
    t.p99 !== null &&
    t.p99 <= slo.p99_ms! &&
    (slo.p95_ms === undefined || (t.p95 !== null && t.p95 <= slo.p95_ms)) &&
    err !== null &&
    err <= (slo.error_rate_max ?? 0)
  )
}
