import { EMPTY_SUMMARY, type Summary } from './percentile'

// Fixed-memory streaming percentiles for sample streams too long to keep (ITL gaps of long runs).
// Log-spaced buckets (DDSketch's mapping): bucket i holds (γ^(i-1), γ^i] with γ = (1+α)/(1-α) and
// reports 2γ^i/(γ+1), which is within α of every value in the bucket. Percentiles use the same
// linear interpolation as percentile.ts between the estimates of the two closest ranks, and a
// weighted mean of two values each within α is itself within α, so the result is within α (1 %)
// of the exact figure. min, max, count and mean are exact.

export interface LogHistogramOptions {
  /** Relative accuracy. @default 0.01 */
  alpha?: number
  /** Values at or below this count as 0 (ms; 1 µs is below any timer we use). @default 1e-3 */
  minValue?: number
  /** Values above this land in the last bucket (ms; about 11.6 days). @default 1e9 */
  maxValue?: number
}

export class LogHistogram {
  readonly alpha: number
  readonly minValue: number
  readonly maxValue: number
  private readonly gamma: number
  private readonly lnGamma: number
  private readonly offset: number
  private readonly counts: Float64Array
  private zeros = 0
  private n = 0
  private sum = 0
  private lo = Infinity
  private hi = -Infinity
  /** Samples above maxValue (estimates for them are clamped to max). */
  overflow = 0

  constructor(opts: LogHistogramOptions = {}) {
    this.alpha = opts.alpha ?? 0.01
    this.minValue = opts.minValue ?? 1e-3
    this.maxValue = opts.maxValue ?? 1e9
    if (!(this.alpha > 0 && this.alpha < 1)) throw new RangeError(`Expected alpha in (0, 1), got ${this.alpha}`)
    if (!(this.minValue > 0 && this.maxValue > this.minValue))
      throw new RangeError(`Expected 0 < minValue < maxValue, got ${this.minValue} and ${this.maxValue}`)
    this.gamma = (1 + this.alpha) / (1 - this.alpha)
    this.lnGamma = Math.log(this.gamma)
    this.offset = Math.ceil(Math.log(this.minValue) / this.lnGamma)
    const top = Math.ceil(Math.log(this.maxValue) / this.lnGamma)
    this.counts = new Float64Array(top - this.offset + 1)
  }

  get count(): number {
    return this.n
  }

  add(value: number): void {
    if (Number.isNaN(value)) return
    if (value < 0) throw new RangeError(`Expected a non-negative sample, got ${value}`)
    this.n++
    this.sum += value
    if (value < this.lo) this.lo = value
    if (value > this.hi) this.hi = value
    if (value <= this.minValue) {
      this.zeros++
      return
    }
    let i = Math.ceil(Math.log(value) / this.lnGamma) - this.offset
    if (i >= this.counts.length) {
      i = this.counts.length - 1
      this.overflow++
    }
    if (i < 0) i = 0
    this.counts[i]++
  }

  addAll(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.add(values[i])
  }

  merge(other: LogHistogram): void {
    if (other.alpha !== this.alpha || other.minValue !== this.minValue || other.maxValue !== this.maxValue)
      throw new Error(`Expected histograms with equal parameters, got alpha ${other.alpha} vs ${this.alpha}`)
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i]
    this.zeros += other.zeros
    this.n += other.n
    this.sum += other.sum
    this.overflow += other.overflow
    if (other.lo < this.lo) this.lo = other.lo
    if (other.hi > this.hi) this.hi = other.hi
  }

  /** Estimate of the order statistic at 0-based rank r. */
  private atRank(r: number): number {
    if (r <= 0) return this.lo
    if (r >= this.n - 1) return this.hi
    let cum = this.zeros
    if (r < cum) return 0
    for (let i = 0; i < this.counts.length; i++) {
      cum += this.counts[i]
      if (r < cum) {
        const est = (2 * Math.pow(this.gamma, i + this.offset)) / (this.gamma + 1)
        return Math.min(this.hi, Math.max(this.lo, est))
      }
    }
    return this.hi
  }

  /** Percentile p in [0, 100], same interpolation rule as percentile.ts. Null when empty. */
  percentile(p: number): number | null {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`Expected a percentile in [0, 100], got ${p}`)
    if (this.n === 0) return null
    const h = ((this.n - 1) * p) / 100
    const lo = Math.floor(h)
    const frac = h - lo
    const a = this.atRank(lo)
    if (frac === 0) return a
    return a + frac * (this.atRank(lo + 1) - a)
  }

  summary(): Summary {
    if (this.n === 0) return { ...EMPTY_SUMMARY }
    return {
      count: this.n,
      min: this.lo,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.hi,
      mean: this.sum / this.n,
    }
  }
}
