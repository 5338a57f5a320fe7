import { GATE_ATTRIBUTION, GATE_DISK_OFFLOAD, GATE_DISK_REHYDRATE, GATE_KV_REUSE, GATE_P99_DELTA_CI, GATE_TIER2_HITS } from '../helpers/gates/catalog'
import { firstKnee, uWork } from '../helpers/analysis/knee'
import { diskOffloadFigure, diskRehydrateFigure, figureInput, offloadReuseFigure, sumFigures, tier2HitPctOf } from '../helpers/analysis/mechanism'
import { type PhasePlan, defineHypothesis } from '../helpers/suite/define-hypothesis'
import { fixedContext } from '../helpers/workload/fixed-context'
import { ioAttributionInput } from '../helpers/suite/io-attribution-input'
import { userImpactInput } from '../helpers/suite/user-impact-input'
import { spillSizing } from '../helpers/suite/spill-sizing'

// H2B (v3.0 plan §2, stack B): when the device and host tiers overflow, KV blocks go to the NVMe
// tier and come back from it, and that produces the first storage-dependent latency knee.
// Method: a context sweep under B2 at fixed concurrency. Each step populates a working set of
// distinct prompts (more KV than G1 holds once the context is large enough), then replays it in a
// closed loop; per step we keep TTFT percentiles and the KVBM counter deltas.
// Sizing: the session count comes from the target's effective tiers, so that the largest context's
// working set is 1.5 x (device + host) and the smaller ones fit: the knee is where the working set
// crosses the upper tiers, on kvsim's tiny profile as at a Spark's 22.6k device blocks. The disk tier
// is planned to hold the whole working set. The populate pass runs twice: KVBM's B2 filter sends a
// block to disk on its second use, so the replay then reads the largest contexts back from disk.

/** The plan's session count (v3.0 H2B); more when the target's tiers need more to spill. */
const SESSIONS = { smoke: 8, full: 32 }
/** Replay concurrency: the plan's 32 in full; 4 in smoke (CI's request cap of 64 per phase). */
const CONCURRENCY = { smoke: 4, full: 32 }
/** Populate is not measured: enough in flight to keep the engine's batch full. */
const POPULATE_CONCURRENCY = 8

defineHypothesis({
  id: 'h2b',
  title: 'h2b: host-tier overflow sends KV to NVMe and produces a storage-dependent TTFT knee',
  tags: ['h2b', 'stack:B', 'mode:B2', 'dataset:S'],
  charts: ['latency_by_step', 'kvbm_deltas_by_phase', 'tier_hit_by_step', 'ttft_cdf', 'block_io_timeseries', 'kvbm_timeseries', 'p99_vs_r_await'],
  gates: [GATE_DISK_OFFLOAD, GATE_DISK_REHYDRATE, GATE_KV_REUSE, GATE_TIER2_HITS, GATE_ATTRIBUTION, GATE_P99_DELTA_CI],
  // The claim is a storage knee: blocks move through the disk tier (mechanism), the OS sees the
  // serving process read them (OS corroboration), TTFT p99 rises beyond noise (user impact), and
  // it holds across repetitions.
  evidence: ['mechanism', 'os_corroboration', 'user_impact', 'repeatability'],
  phases: (s) => {
    const maxTokens = s.profileName === 'smoke' ? 16 : s.config.dataset.max_tokens
    const fits = (c: number) => c + maxTokens + 256 <= s.model.max_input_tokens
    const contexts = s.profileName === 'smoke' ? [512, 1024, 2048] : s.config.dataset.context_menu.filter(fits)
    const largest = Math.max(...contexts)
    const sizing = spillSizing(s, { mode: 'B2', promptTokens: largest, outputTokens: maxTokens, minPrompts: SESSIONS[s.profileName], fallbackPrompts: SESSIONS[s.profileName] })
    const sessions = sizing.prompts
    const plans: PhasePlan[] = []
    for (const ctx of contexts) {
      const workload = (p: { target: { model: string; maxInputTokens: number | null } }, max_tokens = maxTokens) =>
        fixedContext(s.workloadContext(p.target.model, { maxInputTokens: p.target.maxInputTokens }), {
          name: `ctx${ctx}`,
          contextTokens: ctx,
          promptPool: sessions,
          params: { max_tokens },
        })
      // Only the largest context must overflow the upper tiers; the smaller ones are the baseline.
      const claim = ctx === largest ? { workingSet: sizing.claim } : {}
      plans.push({
        name: `ctx${ctx}-populate`,
        kind: 'warmup',
        mode: 'B2',
        tiers: sizing.tiers,
        ...claim,
        step: { context_tokens: ctx },
        // Populate only fills the KV cache: one output token is enough.
        workload: (p) => workload(p, 1),
        executor: { type: 'constantConcurrency', concurrency: POPULATE_CONCURRENCY, iterations: 2 * sessions },
      })
      plans.push({
        name: `ctx${ctx}-replay`,
        kind: 'measure',
        mode: 'B2',
        tiers: sizing.tiers,
        ...claim,
        step: { context_tokens: ctx, sessions },
        workload,
        executor: {
          type: 'constantConcurrency',
          concurrency: CONCURRENCY[s.profileName],
          duration_s: s.profile.phase_s,
          ...(s.profile.max_requests_per_phase ? { iterations: s.profile.max_requests_per_phase } : {}),
        },
      })
    }
    return plans
  },
  conclude: (c) => {
    const all = [...c.phases.values()]
    const replays = all.filter((o) => o.plan.kind === 'measure')
    const steps = replays.map((o) => ({ x: Number(o.plan.step?.context_tokens), p50: o.summary.ttft_ms.p50, p99: o.summary.ttft_ms.p99 }))
    // The storage knee is where TTFT p99 departs from the smallest context's (2x), not the queue
    // criterion p99 > 2 x p50: a context sweep at fixed concurrency is not a queueing sweep.
    const base = steps[0]?.p99 ?? null
    const kneeIndex = base === null ? null : firstKnee(steps, (s) => s.p99 !== null && s.p99 > 2 * base)
    const knee = { knee_index: kneeIndex, knee_context_tokens: kneeIndex === null ? null : steps[kneeIndex].x, baseline_p99_ms: base, steps, queue_criterion: uWork(steps) }
    c.note('ttft_knee', knee)
    const last = steps.at(-1)
    const ms = (v: number | null | undefined) => (v == null ? 'n/a' : `${Math.round(v)} ms`)
    c.note(
      'headline',
      base === null || !last
        ? 'No TTFT knee: no measured step had a TTFT p99.'
        : kneeIndex === null
          ? `No TTFT knee up to ${last.x} context tokens: TTFT p99 stayed within 2 x the ${steps[0].x}-token baseline (${ms(base)}; ${ms(last.p99)} at ${last.x}).`
          : `TTFT knee at ${steps[kneeIndex].x} context tokens: TTFT p99 ${ms(steps[kneeIndex].p99)} vs ${ms(base)} at ${steps[0].x} tokens (knee = first step above 2 x the smallest context's p99).`,
    )
    // Normalised tier counters of the stack's backend; OS evidence where it has none (the details say which).
    c.gate(GATE_DISK_OFFLOAD, { ...figureInput(sumFigures(all.map((o) => diskOffloadFigure(o.record.deltas)))), scope: 'ctx*' })
    c.gate(GATE_DISK_REHYDRATE, { ...figureInput(sumFigures(replays.map((o) => diskRehydrateFigure(o.record.deltas)))), scope: 'ctx*-replay' })
    c.gate(GATE_KV_REUSE, { ...figureInput(sumFigures(replays.map((o) => offloadReuseFigure(o.record.deltas)))), scope: 'ctx*-replay' })
    // The knee step if there is one, else the largest context: that is where a storage knee must show disk hits.
    const at = knee.knee_index !== null ? replays[knee.knee_index] : replays[replays.length - 1]
    c.gate(GATE_TIER2_HITS, { value: at ? tier2HitPctOf(at.record.deltas) : null, scope: at?.plan.name ?? null, details: { knee } })
    // The disk reads the counters claim must be the serving process's, at the device.
    c.gate(GATE_ATTRIBUTION, ioAttributionInput(replays))
    // Users see the knee: TTFT p99 at the knee (else the largest context) above the smallest context's.
    c.gate(GATE_P99_DELTA_CI, userImpactInput([replays[0]], [at], c.settings.seed))
  },
})
