// Token emission lateness (socket write time − the engine's dueNs). 10 µs buckets up to 100 ms keep
// p99 exact enough to judge a 1 ms goal without storing every sample of a 2,000-stream run.

const BUCKET_NS = 10_000
const BUCKETS = 10_000

export interface LatenessSummary {
  count: number
  p50_ms: number
  p99_ms: number
  p999_ms: number
  max_ms: number
  mean_ms: number
}

export class LatenessRecorder {
  private counts = new Float64Array(BUCKETS + 1)
  private n = 0
  private sumNs = 0
  private maxNs = 0

  /** Negative lateness (written early) counts as 0: the token was not late. */
  record(latenessNs: number): void {
    const ns = latenessNs > 0 ? latenessNs : 0
    const i = Math.min(BUCKETS, Math.floor(ns / BUCKET_NS))
    this.counts[i] += 1
    this.n += 1
    this.sumNs += ns
    if (ns > this.maxNs) this.maxNs = ns
  }

  /** Upper bound of the bucket holding quantile q, capped at the observed max. */
  quantileMs(q: number): number {
    if (this.n === 0) return 0
    const target = Math.ceil(q * this.n)
    let seen = 0
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.counts[i]
      if (seen >= target) return Math.min((i + 1) * BUCKET_NS, this.maxNs) / 1e6
    }
    return this.maxNs / 1e6
  }

  summary(): LatenessSummary {
    return {
      count: this.n,
      p50_ms: this.quantileMs(0.5),
      p99_ms: this.quantileMs(0.99),
      p999_ms: this.quantileMs(0.999),
      max_ms: this.maxNs / 1e6,
      mean_ms: this.n === 0 ? 0 : this.sumNs / this.n / 1e6,
    }
  }

  reset(): void {
    this.counts.fill(0)
    this.n = 0
    this.sumNs = 0
    this.maxNs = 0
  }
}
