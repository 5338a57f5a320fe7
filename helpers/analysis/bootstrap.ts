import { percentileSorted, selectPercentile, sortedCopy } from './percentile'
import { seededRandom } from './seeded-random'

// Seeded percentile-bootstrap confidence intervals. The data is sorted once; each replicate draws
// n indices with replacement. For percentiles and the mean a replicate only counts how often each
// sorted index was drawn (one preallocated Uint32Array) and walks the counts from the nearer end to
// the wanted rank, so no replicate is ever sorted or copied. Custom statistics get the resample in
// a preallocated buffer instead (quickselect-friendly). The CI bounds are the (1−c)/2 and (1+c)/2
// percentiles of the replicate statistics (same interpolation as percentile.ts).

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

/** Value at 0-based rank r of the resample described by per-index draw counts over sorted data. */
const orderStatFromCounts = (data: Float64Array, counts: Uint32Array, r: number): number => {
  const n = data.length
  if (r < n / 2) {
    let cum = 0
    for (let i = 0; i < n; i++) {
      cum += counts[i]
      if (r < cum) return data[i]
    }
  } else {
    // High percentiles (p95, p99) sit near the top: walk down from the end.
    let cum = 0
    const fromTop = n - 1 - r
    for (let i = n - 1; i >= 0; i--) {
      cum += counts[i]
      if (fromTop < cum) return data[i]
    }
  }
  return data[n - 1]
}

const percentileFromCounts = (data: Float64Array, counts: Uint32Array, p: number): number => {
  const n = data.length
  const h = ((n - 1) * p) / 100
  const lo = Math.floor(h)
  const frac = h - lo
  const a = orderStatFromCounts(data, counts, lo)
  if (frac === 0 || lo + 1 >= n) return a
  return a + frac * (orderStatFromCounts(data, counts, lo + 1) - a)
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
  const counting = statistics.every((s) => typeof s === 'number' || s === 'mean')
  const counts = counting ? new Uint32Array(n) : null
  // Inline xorshift32 for the hot draw loop (seeded from the mulberry32 stream): a closure call
  // and a float multiply per draw were most of the cost at n = 10^5, B = 1000.
  let x = (Math.floor(rand() * 4294967296) | 1) >>> 0
  for (let b = 0; b < B; b++) {
    if (counts) {
      counts.fill(0)
      let sum = 0
      for (let i = 0; i < n; i++) {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        const j = Math.floor(((x >>> 0) / 4294967296) * n)
        counts[j]++
        sum += data[j]
      }
      for (let s = 0; s < statistics.length; s++) {
        const stat = statistics[s]
        reps[s][b] = stat === 'mean' ? sum / n : percentileFromCounts(data, counts, stat as number)
      }
    } else {
      for (let i = 0; i < n; i++) buf[i] = data[(rand() * n) | 0]
      for (let s = 0; s < statistics.length; s++) reps[s][b] = evalStat(statistics[s], buf, n)
    }
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
