import { percentileSorted, selectPercentile, sortedCopy } from './percentile'
import { seededRandom } from './seeded-random'

// Seeded percentile-bootstrap confidence intervals. Each replicate draws n indices with
// replacement into one preallocated buffer and reads the statistic by quickselect (O(n)), so
// B = 1000 replicates of 10^5 samples stay around a second. The CI bounds are the (1−c)/2 and
// (1+c)/2 percentiles of the replicate statistics (same interpolation as percentile.ts).

/** A percentile p (0–100), the mean, or any function of buf[0..n-1] (it may reorder buf). */
export type BootstrapStatistic = number | 'mean' | ((buf: Float64Array, n: number) => number)

export interface BootstrapOptions {
  /** Replicates. @default 1000 */
  B?: number
  /** @default 1 */
  seed?: number
  /** @default 0.95 */
  confidence?: number
}

export interface BootstrapCi {
  estimate: number | null
  lo: number | null
  hi: number | null
  confidence: number
  B: number
  seed: number
  n: number
  method: 'percentile_bootstrap'
}

const evalStat = (stat: BootstrapStatistic, buf: Float64Array, n: number): number => {
  if (typeof stat === 'number') return selectPercentile(buf, n, stat) as number
  if (stat === 'mean') {
    let s = 0
    for (let i = 0; i < n; i++) s += buf[i]
    return s / n
  }
  return stat(buf, n)
}

/** CIs for several statistics from the same resamples (e.g. p50, p95, p99 at once). */
export const bootstrapCis = (
  values: ArrayLike<number>,
  statistics: readonly BootstrapStatistic[],
  opts: BootstrapOptions = {},
): BootstrapCi[] => {
  const B = opts.B ?? 1000
  const seed = opts.seed ?? 1
  const confidence = opts.confidence ?? 0.95
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`Expected confidence in (0, 1), got ${confidence}`)
  if (!(Number.isInteger(B) && B >= 1)) throw new RangeError(`Expected B a positive integer, got ${B}`)
  const data = sortedCopy(values)
  const n = data.length
  if (n === 0)
    return statistics.map(() => ({ estimate: null, lo: null, hi: null, confidence, B, seed, n, method: 'percentile_bootstrap' as const }))
  const rand = seededRandom(seed)
  const buf = new Float64Array(n)
  const reps = statistics.map(() => new Float64Array(B))
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) buf[i] = data[(rand() * n) | 0]
    for (let s = 0; s < statistics.length; s++) reps[s][b] = evalStat(statistics[s], buf, n)
  }
  const alpha = (1 - confidence) / 2
  return statistics.map((stat, s) => {
    const sorted = reps[s].sort()
    buf.set(data)
    return {
      estimate: evalStat(stat, buf, n),
      lo: percentileSorted(sorted, alpha * 100),
      hi: percentileSorted(sorted, (1 - alpha) * 100),
      confidence,
      B,
      seed,
      n,
      method: 'percentile_bootstrap' as const,
    }
  })
}

export const bootstrapCi = (values: ArrayLike<number>, statistic: BootstrapStatistic, opts: BootstrapOptions = {}): BootstrapCi =>
  bootstrapCis(values, [statistic], opts)[0]

/** p50, p95 and p99 CIs of a latency sample (what the reporter prints next to each percentile). */
export const bootstrapPercentileCis = (values: ArrayLike<number>, opts: BootstrapOptions = {}): { p50: BootstrapCi; p95: BootstrapCi; p99: BootstrapCi } => {
  const [p50, p95, p99] = bootstrapCis(values, [50, 95, 99], opts)
  return { p50, p95, p99 }
}
