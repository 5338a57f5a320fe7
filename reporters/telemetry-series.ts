import { readJsonl } from './read-jsonl'

// A telemetry/<collector>.jsonl file as columns. Samples carry t_ms (run monotonic) and wall_ms;
// nested objects (e.g. a Prometheus scrape's {values: {kvbm_…: n}}) are flattened by inner name.
export interface TelemetrySeries {
  collector: string
  t_ms: number[]
  fields: Map<string, number[]>
  /** Top-level string fields, first value seen (e.g. block_device's `device: "vda"`). */
  labels: Map<string, string>
  truncated_last: number
}

export const readTelemetrySeries = async (path: string, collector: string): Promise<TelemetrySeries> => {
  const series: TelemetrySeries = { collector, t_ms: [], fields: new Map(), labels: new Map(), truncated_last: 0 }
  let i = 0
  // Writes a value straight into its column (no per-sample map); new columns are back-filled with NaN.
  const put = (k: string, v: number) => {
    let col = series.fields.get(k)
    if (!col) {
      col = new Array<number>(i).fill(Number.NaN)
      series.fields.set(k, col)
    }
    if (col.length === i) col.push(v)
    else col[i] = v
  }
  const flatten = (obj: Record<string, unknown>, depth: number) => {
    for (const k in obj) {
      if (k === 't_ms' || k === 'wall_ms') continue
      const v = obj[k]
      if (typeof v === 'number') {
        if (Number.isFinite(v)) put(k, v)
      } else if (typeof v === 'string' && depth === 0) {
        if (!series.labels.has(k)) series.labels.set(k, v)
      } else if (v && typeof v === 'object' && !Array.isArray(v) && depth < 2) flatten(v as Record<string, unknown>, depth + 1)
    }
  }
  const stats = await readJsonl(path, (row) => {
    if (!row || typeof row !== 'object') return
    const r = row as Record<string, unknown>
    if (typeof r.t_ms !== 'number') return
    series.t_ms.push(r.t_ms)
    flatten(r, 0)
    i++
    for (const col of series.fields.values()) if (col.length < i) col.push(Number.NaN)
  })
  series.truncated_last = stats.truncated_last
  return series
}

// Mean of a field over [t0, t1) (ms); null when no sample falls inside.
export const seriesMean = (s: TelemetrySeries | undefined, field: string, t0: number, t1: number): number | null => {
  const col = s?.fields.get(field)
  if (!s || !col) return null
  let sum = 0
  let n = 0
  for (let i = 0; i < s.t_ms.length; i++) {
    const t = s.t_ms[i]!
    const v = col[i]!
    if (t >= t0 && t < t1 && Number.isFinite(v)) {
      sum += v
      n++
    }
  }
  return n ? sum / n : null
}
