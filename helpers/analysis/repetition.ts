// Across-repetition stability of one figure (usually p99 TTFT of the same phase repeated):
// v3.0 quality gates CoV(p99) < 10 % and "p99 reproducible within 5 %".

export interface RepetitionStats {
  n: number
  mean: number | null
  /** Sample standard deviation (n − 1). */
  sd: number | null
  /** sd / mean × 100; null with fewer than 2 values or a zero mean. */
  cov_pct: number | null
  /** max_i |x_i − mean| / mean × 100: how far the worst repetition strays from the others' centre. */
  max_rel_dev_pct: number | null
  min: number | null
  max: number | null
}

export const coefficientOfVariation = (values: readonly number[]): number | null => repetitionStats(values).cov_pct

/** Reproducibility: max relative deviation (percent) of any repetition from the mean. */
export const maxRelativeDeviation = (values: readonly number[]): number | null => repetitionStats(values).max_rel_dev_pct

export const repetitionStats = (values: readonly number[]): RepetitionStats => {
  const xs = values.filter((v) => Number.isFinite(v))
  const n = xs.length
  if (n === 0) return { n, mean: null, sd: null, cov_pct: null, max_rel_dev_pct: null, min: null, max: null }
  const mean = xs.reduce((a, b) => a + b, 0) / n
  const min = Math.min(...xs)
  const max = Math.max(...xs)
  if (n < 2) return { n, mean, sd: null, cov_pct: null, max_rel_dev_pct: null, min, max }
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1))
  const scale = Math.abs(mean)
  return {
    n,
    mean,
    sd,
    cov_pct: scale > 0 ? (sd / scale) * 100 : null,
    max_rel_dev_pct: scale > 0 ? (Math.max(...xs.map((x) => Math.abs(x - mean))) / scale) * 100 : null,
    min,
    max,
  }
}
