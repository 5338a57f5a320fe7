// A tiny Prometheus text writer for kvsim's metric dialects: one family at a time, labels in a
// fixed order, and prometheus_client's habits when asked (`_total` on HELP/TYPE, `_created` gauges).

export type Labels = Record<string, string>
export interface Series {
  labels: Labels
  value: number
}

const fmtLabels = (l: Labels): string => {
  const ks = Object.keys(l)
  return ks.length === 0 ? '' : `{${ks.map((k) => `${k}="${l[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`
}

export class PromText {
  private readonly lines: string[] = []
  constructor(private readonly createdAt: number | null = null) {}

  /** A counter; `name` is written as given (pass `x_total` for prometheus_client style). */
  counter(name: string, help: string, series: Series[]): this {
    if (series.length === 0) return this
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`)
    for (const s of series) this.lines.push(`${name}${fmtLabels(s.labels)} ${s.value}`)
    if (this.createdAt !== null && name.endsWith('_total')) {
      const c = `${name.slice(0, -'_total'.length)}_created`
      this.lines.push(`# HELP ${c} ${help}`, `# TYPE ${c} gauge`)
      for (const s of series) this.lines.push(`${c}${fmtLabels(s.labels)} ${this.createdAt}`)
    }
    return this
  }

  gauge(name: string, help: string, series: Series[]): this {
    if (series.length === 0) return this
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`)
    for (const s of series) this.lines.push(`${name}${fmtLabels(s.labels)} ${s.value}`)
    return this
  }

  text(): string {
    return this.lines.join('\n') + '\n'
  }
}
