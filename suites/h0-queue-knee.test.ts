import { uWork } from '../helpers/analysis/knee'
import { GATE_P99_DELTA_CI } from '../helpers/gates/catalog'
import { userImpactInput } from '../helpers/suite/user-impact-input'
import { type PhasePlan, defineHypothesis } from '../helpers/suite/define-hypothesis'
import { fixedContext } from '../helpers/workload/fixed-context'

// H0 (v3.0 plan §2, stacks A and B): queue saturation defines the usable concurrency U_work.
// Method: a closed-loop concurrency sweep with a fixed prompt distribution (a per-request nonce so
// every request pays its prefill: no KV reuse, pure queueing), on stack A (B0) and stack B (B2).
// The knee is the first step where TTFT p99 > 2 x p50 for two consecutive steps; U_work is one
// step below (v3.0 definition, helpers/analysis/knee.ts).

defineHypothesis({
  id: 'h0',
  title: 'h0: queue saturation defines usable concurrency U_work (p99 stays within 2 x p50 until the knee)',
  tags: ['h0', 'stack:A', 'stack:B', 'mode:B0', 'mode:B2', 'dataset:S'],
  // A queueing knee is a user-visible latency claim; no KV mechanism is involved (per-request nonces).
  evidence: ['user_impact', 'repeatability'],
  charts: ['latency_by_step', 'ttft_cdf', 'ttft_windows'],
  gates: [GATE_P99_DELTA_CI],
  phases: (s) => {
    const contextTokens = s.profileName === 'smoke' ? 1024 : 2048
    const maxTokens = s.profileName === 'smoke' ? 16 : 128
    const stepS = s.profileName === 'smoke' ? Math.max(3, Math.floor(s.profile.phase_s / 2)) : s.profile.phase_s
    const plans: PhasePlan[] = []
    for (const [stack, mode] of [['A', 'B0'], ['B', 'B2']] as const) {
      const workload = (p: { target: { model: string; maxInputTokens: number | null } }) =>
        fixedContext(s.workloadContext(p.target.model, { maxInputTokens: p.target.maxInputTokens }), {
          name: `h0-${stack}`,
          contextTokens,
          nonce: 'per_request',
          params: { max_tokens: maxTokens },
        })
      plans.push({
        name: `stack${stack}-warmup`,
        kind: 'warmup',
        mode,
        leg: `stack ${stack}`,
        workload,
        executor: { type: 'constantConcurrency', concurrency: 2, duration_s: s.profile.warmup_s || 1 },
      })
      for (const c of s.profile.concurrency_steps)
        plans.push({
          name: `stack${stack}-c${c}`,
          kind: 'measure',
          // Per-request nonces: no step reuses another's cache, so a step spoiled by the host is re-run in place.
          cacheIndependent: true,
          mode,
          leg: `stack ${stack}`,
          step: { concurrency: c },
          workload,
          executor: {
            type: 'constantConcurrency',
            concurrency: c,
            duration_s: stepS,
            ...(s.profile.max_requests_per_phase ? { iterations: Math.max(s.profile.max_requests_per_phase, c * 4) } : {}),
          },
        })
    }
    return plans
  },
  conclude: (c) => {
    const found: string[] = []
    for (const stack of ['A', 'B']) {
      const measured = [...c.phases.values()].filter((o) => o.plan.kind === 'measure' && o.plan.leg === `stack ${stack}`)
      // Users see the queue: TTFT p99 at the highest concurrency above the lowest's, beyond noise.
      c.gate(GATE_P99_DELTA_CI, userImpactInput(measured.slice(0, 1), measured.slice(-1), c.settings.seed))
      const steps = measured
        .map((o) => ({ x: Number(o.plan.step?.concurrency), p50: o.summary.ttft_ms.p50, p99: o.summary.ttft_ms.p99, e2e_p99: o.summary.e2e_ms.p99 }))
      const knee = uWork(steps)
      c.note(`u_work_stack_${stack}`, { ...knee, steps })
      if (steps.length)
        found.push(
          `stack ${stack} ${
            knee.status === 'knee'
              ? `U_work = ${knee.u_work_x} (knee at ${knee.knee_x})`
              : knee.status === 'no_knee'
                ? `U_work >= ${knee.u_work_x} (no knee in the sweep)`
                : knee.status === 'knee_at_first_step'
                  ? `U_work < ${knee.knee_x} (knee at the first step)`
                  : 'no U_work (no steps)'
          }`,
        )
    }
    // The suite's finding, first line of its report (same criterion as summary.json's u_work).
    if (found.length) c.note('headline', `Usable concurrency (queue knee: TTFT p99 > 2 x p50 on consecutive steps): ${found.join('; ')}.`)
  },
})
