import { z } from 'zod'

// One percentile method everywhere: linear interpolation between closest ranks, numpy's default
// (`method='linear'`, Hyndman & Fan type 7). For sorted s[0..n-1] and p in [0, 100]:
//   h = (n - 1) * p / 100,  q = s[floor(h)] + (h - floor(h)) * (s[floor(h) + 1] - s[floor(h)])
// Exact for any sample count that fits in memory (one Float64Array sort, then O(1) per percentile).
// Beyond EXACT_MAX_SAMPLES (ITL gap streams of long runs), LogHistogram gives the same percentile
// within 1 % relative error in fixed memory.

export const PERCENTILE_METHOD =
  'linear interpolation between closest ranks (numpy default, Hyndman-Fan type 7): h=(n-1)p/100, q=s[floor h]+(h-floor h)(s[floor h+1]-s[floor h]); exact up to 4e6 samples, log-bucket histogram (<=1% relative error) beyond'

/** Above this many samples, phase summaries switch to the streaming histogram (32 MB of doubles). */
export const EXACT_MAX_SAMPLES = 4_000_000

export const Summary = z.object({
  count: z.number().int().nonnegative(),
  min: z.number().nullable(),
  p50: z.number().nullable(),
  p90: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  max: z.number().nullable(),
  mean: z.number().nullable(),
})
export type Summary = z.infer<typeof Summary>

export const EMPTY_SUMMARY: Summary = { count: 0, min: null, p50: null, p90: null, p95: null, p99: null, max: null, mean: null }

const checkP = (p: number): void => {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Expected a percentile in [0, 100], got ${p}`)
}

/** Sorted copy without NaN (nulls never reach here: callers drop them). */
export const sortedCopy = (values: ArrayLike<number>): Float64Array => {
  let n = 0
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++
  const out = new Float64Array(n)
  let j = 0
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out[j++] = values[i]
  return out.sort()
}

/** Percentile of an already sorted array (ascending). Null when empty. */
export const percentileSorted = (sorted: ArrayLike<number>, p: number): number | null => {
  checkP(p)
  const n = sorted.length
  if (n === 0) return null
  const h = ((n - 1) * p) / 100
  const lo = Math.floor(h)
  const frac = h - lo
  if (frac === 0 || lo + 1 >= n) return sorted[lo]
  return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo])
}

export const percentile = (values: ArrayLike<number>, p: number): number | null => percentileSorted(sortedCopy(values), p)

/** Several percentiles from one sort. */
export const percentiles = (values: ArrayLike<number>, ps: readonly number[]): (number | null)[] => {
  const s = sortedCopy(values)
  return ps.map((p) => percentileSorted(s, p))
}

export const summarizeSorted = (s: Float64Array): Summary => {
  const n = s.length
  if (n === 0) return { ...EMPTY_SUMMARY }
  let sum = 0
  for (let i = 0; i < n; i++) sum += s[i]
  return {
    count: n,
    min: s[0],
    p50: percentileSorted(s, 50),
    p90: percentileSorted(s, 90),
    p95: percentileSorted(s, 95),
    p99: percentileSorted(s, 99),
    max: s[n - 1],
    mean: sum / n,
  }
}

/** count, min, p50, p90, p95, p99, max, mean (exact). */
export const summarize = (values: ArrayLike<number>): Summary => summarizeSorted(sortedCopy(values))

/**
 * In-place selection (Hoare partition, median-of-three pivot): afterwards buf[k] holds the value a
 * full sort of buf[0..n-1] would put there, smaller values sit left of k and larger right.
 */
export const quickselect = (buf: Float64Array, n: number, k: number): number => {
  let lo = 0
  let hi = n - 1
  while (hi > lo) {
    const mid = (lo + hi) >>> 1
    // Median of three to avoid the quadratic case on sorted input.
    const a = buf[lo]
    const b = buf[mid]
    const c = buf[hi]
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b
    let i = lo
    let j = hi
    while (i <= j) {
      while (buf[i] < pivot) i++
      while (buf[j] > pivot) j--
      if (i <= j) {
        const t = buf[i]; buf[i] = buf[j]; buf[j] = t
        i++; j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else break
  }
  return buf[k]
}

/** Percentile (same method as percentileSorted) of buf[0..n-1] by selection; reorders buf. O(n). */
export const selectPercentile = (buf: Float64Array, n: number, p: number): number | null => {
  checkP(p)
  if (n === 0) return null
  const h = ((n - 1) * p) / 100
  const lo = Math.floor(h)
  const frac = h - lo
  const vLo = quickselect(buf, n, lo)
  if (frac === 0 || lo + 1 >= n) return vLo
  // After selection everything right of lo is >= vLo: the next order statistic is their minimum.
  let vHi = Infinity
  for (let i = lo + 1; i < n; i++) if (buf[i] < vHi) vHi = buf[i]
  return vLo + frac * (vHi - vLo)
}
