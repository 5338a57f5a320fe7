import { z } from 'zod'
import { seededRandom } from '../analysis/seeded-random'
import { exponential, unitGammaGap } from './random-variates'

export const ArrivalDistribution = z.enum(['constant', 'poisson', 'gamma'])
export type ArrivalDistribution = z.infer<typeof ArrivalDistribution>

/** A piece of a rate curve: the rate moves linearly from `from_per_s` to `to_per_s` over `duration_s`. */
export interface RateSegment {
  from_per_s: number
  to_per_s: number
  duration_s: number
}

export interface ArrivalScheduleOptions {
  segments: RateSegment[]
  distribution: ArrivalDistribution
  /** Gamma shape k (scale 1/(rate k)); 1 = Poisson, < 1 burstier. @default 1 */
  gamma_shape?: number
  seed: number
}

// Precomputed arrival offsets (ms from phase start), so the sender loop does no math and a schedule
// is reproducible from its seed. Non-constant rates use time rescaling: unit-mean gaps accumulate in
// operational time s, and each arrival is at the t where the integrated rate Λ(t) equals s.
// `constant` starts at t=0 (as k6's constant-arrival-rate); random distributions start one gap in.
export const buildArrivalSchedule = (opts: ArrivalScheduleOptions): Float64Array => {
  const shape = opts.gamma_shape ?? 1
  if (!(shape > 0)) throw new TypeError(`Expected gamma_shape > 0, got ${shape}`)
  for (const [i, s] of opts.segments.entries()) {
    if (!(s.duration_s >= 0) || !(s.from_per_s >= 0) || !(s.to_per_s >= 0)) {
      throw new TypeError(`Expected segment ${i} to have non-negative rates and duration, got ${JSON.stringify(s)}`)
    }
  }
  const rand = seededRandom(opts.seed)
  const gap =
    opts.distribution === 'constant' ? () => 1 : opts.distribution === 'poisson' ? () => exponential(rand) : () => unitGammaGap(rand, shape)
  const out: number[] = []
  let target = opts.distribution === 'constant' ? 0 : gap()
  let segStart = 0 // seconds
  let areaBefore = 0 // Λ at segStart
  for (const seg of opts.segments) {
    const d = seg.duration_s
    const r0 = seg.from_per_s
    const c = d > 0 ? (seg.to_per_s - r0) / d : 0
    const area = r0 * d + (c * d * d) / 2
    while (target - areaBefore < area) {
      const a = target - areaBefore
      // Solve r0 t + c t²/2 = a in the cancellation-free form t = 2a / (r0 + sqrt(r0² + 2ca)).
      const t = a === 0 ? 0 : (2 * a) / (r0 + Math.sqrt(Math.max(0, r0 * r0 + 2 * c * a)))
      if (!(t < d)) break
      out.push((segStart + t) * 1000)
      target += gap()
    }
    segStart += d
    areaBefore += area
  }
  return Float64Array.from(out)
}
