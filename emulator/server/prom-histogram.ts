// A Prometheus histogram with fixed bounds, cheap enough to observe once per emitted token.

export class PromHistogram {
  private readonly counts: Float64Array
  private sum = 0
  private count = 0

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length)
  }

  observe(value: number): void {
    this.sum += value
    this.count += 1
    const b = this.bounds
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]) {
        this.counts[i] += 1
        return
      }
    }
  }

  /** `_bucket` (cumulative, with +Inf), `_sum` and `_count` lines for one label set. */
  render(name: string, labels: string): string {
    const lines: string[] = []
    let cumulative = 0
    const sep = labels === '' ? '' : ','
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i]
      lines.push(`${name}_bucket{${labels}${sep}le="${formatNumber(this.bounds[i])}"} ${cumulative}`)
    }
    lines.push(`${name}_bucket{${labels}${sep}le="+Inf"} ${this.count}`)
    const braces = labels === '' ? '' : `{${labels}}`
    lines.push(`${name}_sum${braces} ${formatNumber(this.sum)}`)
    lines.push(`${name}_count${braces} ${this.count}`)
    return lines.join('\n')
  }
}

export const formatNumber = (n: number): string => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN')

/** Prometheus label value escaping (backslash, quote, newline). */
export const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
