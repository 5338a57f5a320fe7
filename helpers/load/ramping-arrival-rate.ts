import { z } from 'zod'
import { ArrivalDistribution, buildArrivalSchedule, type RateSegment } from './arrival-schedule'
import type { ExecutorDeps } from './executor-deps'
import { runArrivalSchedule } from './open-loop'
import type { PhaseRunResult } from './phase-run-result'

export const RateStage = z.object({
  /** Rate (per time_unit_s) reached at the end of the stage; it moves linearly from the previous one. */
  target: z.number().nonnegative(),
  duration_s: z.number().positive(),
})
export type RateStage = z.infer<typeof RateStage>

// Open loop whose rate follows linear stages (k6 ramping-arrival-rate); spec type `ramping`.
export const RampingArrivalRateSpec = z.object({
  type: z.literal('ramping'),
  /** @default 0 */
  start_rate: z.number().nonnegative().default(0),
  /** @default 1 */
  time_unit_s: z.number().positive().default(1),
  stages: z.array(RateStage).min(1),
  /** @default 'poisson' */
  distribution: ArrivalDistribution.default('poisson'),
  gamma_shape: z.number().positive().optional(),
  max_in_flight: z.number().int().positive(),
  /** @default 1 */
  seed: z.number().int().default(1),
})
export type RampingArrivalRateSpec = z.infer<typeof RampingArrivalRateSpec>

export const rateSegments = (startRate: number, stages: RateStage[], timeUnitS: number): RateSegment[] => {
  let from = startRate / timeUnitS
  return stages.map((s) => {
    const seg = { from_per_s: from, to_per_s: s.target / timeUnitS, duration_s: s.duration_s }
    from = seg.to_per_s
    return seg
  })
}

export const runRampingArrivalRate = async (spec: RampingArrivalRateSpec, deps: ExecutorDeps): Promise<PhaseRunResult> => {
  const schedule = buildArrivalSchedule({
    segments: rateSegments(spec.start_rate, spec.stages, spec.time_unit_s),
    distribution: spec.distribution,
    gamma_shape: spec.gamma_shape,
    seed: spec.seed,
  })
  return runArrivalSchedule(deps, spec.type, schedule, spec.max_in_flight)
}
