import { percentileDeltaCi } from '../analysis/percentile-delta'
import type { PhaseGateInput, PhaseOutcome } from './define-hypothesis'

// Input of GATE_P99_DELTA_CI (user-visible impact): TTFT p99 of the compared phases minus the
// reference phases, with its bootstrap CI; the gate passes when the CI's lower bound is above 0
// (the compared configuration is slower beyond noise). Pass the phases so that the claim predicts
// compared > reference: the large context vs the small one, contended vs quiet.

const ttfts = (os: readonly PhaseOutcome[]): number[] =>
  os.flatMap((o) => o.requests.flatMap((r) => (r.ok && typeof r.ttft_ms === 'number' ? [r.ttft_ms] : [])))

export const userImpactInput = (
  reference: readonly (PhaseOutcome | undefined)[],
  compared: readonly (PhaseOutcome | undefined)[],
  seed: number,
): PhaseGateInput & { scope: string } => {
  const ref = reference.filter((o): o is PhaseOutcome => o !== undefined)
  const cmp = compared.filter((o): o is PhaseOutcome => o !== undefined)
  const ci = percentileDeltaCi(ttfts(ref), ttfts(cmp), { p: 99, seed })
  const names = (os: PhaseOutcome[]) => os.map((o) => o.plan.name).join('+') || 'none'
  return {
    scope: `${names(cmp)} vs ${names(ref)}`,
    value: ci.lo,
    details: { ttft_p99_delta_ms: ci.delta, ci_lo_ms: ci.lo, ci_hi_ms: ci.hi, ...ci, reference_phases: ref.map((o) => o.plan.name), compared_phases: cmp.map((o) => o.plan.name) },
  }
}
