import { percentileSorted, selectPercentile, sortedCopy } from './percentile'
import { seededRandom } from './seeded-random'

// The user-visible-impact figure of a comparison (two steps of a sweep, two modes, quiet vs
// contended): the difference of a latency percentile, compared − reference, with a seeded
// percentile-bootstrap CI. The two samples are independent (different requests), so each replicate
// resamples both with replacement and takes the difference of their percentiles. A CI that excludes
// zero is an effect users would see beyond sampling noise; its sign says which way.

export interface PercentileDeltaCi {
  p: number
  reference: number | null
  compared: number | null
  /** compared − reference */
  delta: number | null
  lo: number | null
  hi: number | null
  /** Whether the CI excludes 0 (null when there is no CI). */
  excludes_zero: boolean | null
  n_reference: number
  n_compared: number
  B: number
  seed: number
  confidence: number
  method: 'independent_percentile_bootstrap'
}

export interface PercentileDeltaOptions {
  /** Percentile, 0–100. @default 99 */
  p?: number
  /** @default 1000 */
  B?: number
  /** @default 1 */
  seed?: number
  /** @default 0.95 */
  confidence?: number
}

export const percentileDeltaCi = (
  reference: readonly number[],
  compared: readonly number[],
  opts: PercentileDeltaOptions = {},
): PercentileDeltaCi => {
  const p = opts.p ?? 99
  const B = opts.B ?? 1000
  const seed = opts.seed ?? 1
  const confidence = opts.confidence ?? 0.95
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`Expected confidence in (0, 1), got ${confidence}`)
  if (!(Number.isInteger(B) && B >= 1)) throw new RangeError(`Expected B a positive integer, got ${B}`)
  const a = sortedCopy(reference.filter(Number.isFinite))
  const b = sortedCopy(compared.filter(Number.isFinite))
  const base = { p, n_reference: a.length, n_compared: b.length, B, seed, confidence, method: 'independent_percentile_bootstrap' as const }
  const ra = percentileSorted(a, p)
  const rb = percentileSorted(b, p)
  // Two samples are the least that can vary under resampling.
  if (ra === null || rb === null || a.length < 2 || b.length < 2)
    return { ...base, reference: ra, compared: rb, delta: ra === null || rb === null ? null : rb - ra, lo: null, hi: null, excludes_zero: null }
  const rand = seededRandom(seed)
  const bufA = new Float64Array(a.length)
  const bufB = new Float64Array(b.length)
  const reps = new Float64Array(B)
  for (let r = 0; r < B; r++) {
    for (let i = 0; i < a.length; i++) bufA[i] = a[(rand() * a.length) | 0]
    for (let i = 0; i < b.length; i++) bufB[i] = b[(rand() * b.length) | 0]
    reps[r] = (selectPercentile(bufB, b.length, p) as number) - (selectPercentile(bufA, a.length, p) as number)
  }
  reps.sort()
  const alpha = (1 - confidence) / 2
  const lo = percentileSorted(reps, alpha * 100)
  const hi = percentileSorted(reps, (1 - alpha) * 100)
  return { ...base, reference: ra, compared: rb, delta: rb - ra, lo, hi, excludes_zero: lo !== null && hi !== null ? lo > 0 || hi < 0 : null }
}
