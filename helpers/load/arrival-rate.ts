import { z } from 'zod'
import { ArrivalDistribution, buildArrivalSchedule } from './arrival-schedule'
import type { ExecutorDeps } from './executor-deps'
import { runArrivalSchedule } from './open-loop'
import type { PhaseRunResult } from './phase-run-result'

// Open loop at a fixed rate (k6 constant-arrival-rate), with constant, Poisson or gamma gaps.
export const ArrivalRateSpec = z.object({
  type: z.literal('arrivalRate'),
  /** Arrivals per time_unit_s. */
  rate: z.number().positive(),
  /** @default 1 */
  time_unit_s: z.number().positive().default(1),
  /** @default 'poisson' */
  distribution: ArrivalDistribution.default('poisson'),
  /** Gamma shape k (burstiness; 1 = Poisson, < 1 burstier). @default 1 */
  gamma_shape: z.number().positive().optional(),
  duration_s: z.number().positive(),
  /** Arrivals beyond this many running requests are dropped and recorded as such. */
  max_in_flight: z.number().int().positive(),
  /** @default 1 */
  seed: z.number().int().default(1),
})
export type ArrivalRateSpec = z.infer<typeof ArrivalRateSpec>

export const runArrivalRate = async (spec: ArrivalRateSpec, deps: ExecutorDeps): Promise<PhaseRunResult> => {
  const perS = spec.rate / spec.time_unit_s
  const schedule = buildArrivalSchedule({
    segments: [{ from_per_s: perS, to_per_s: perS, duration_s: spec.duration_s }],
    distribution: spec.distribution,
    gamma_shape: spec.gamma_shape,
    seed: spec.seed,
  })
  return runArrivalSchedule(deps, spec.type, schedule, spec.max_in_flight)
}
