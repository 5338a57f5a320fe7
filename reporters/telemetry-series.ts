import { readJsonl } from './read-jsonl'

// A telemetry/<collector>.jsonl file as columns. Samples carry t_ms (run monotonic) and wall_ms;
// nested objects (e.g. a Prometheus scrape's {values: {kvbm_…: n}}) are flattened by inner name.
export interface TelemetrySeries {
  collector: string
  t_ms: number[]
  fields: Map<string, number[]>
  truncated_last: number
}

const flatten = (obj: Record<string, unknown>, out: Map<string, number>, depth: number) => {
  for (const [k, v] of Object.entries(obj)) {
    if (k === 't_ms' || k === 'wall_ms') continue
    if (typeof v === 'number' && Number.isFinite(v)) out.set(k, v)
    else if (v && typeof v === 'object' && !Array.isArray(v) && depth < 2) flatten(v as Record<string, unknown>, out, depth + 1)
  }
}

export const readTelemetrySeries = async (path: string, collector: string): Promise<TelemetrySeries> => {
  const series: TelemetrySeries = { collector, t_ms: [], fields: new Map(), truncated_last: 0 }
  const stats = await readJsonl(path, (row) => {
    if (!row || typeof row !== 'object') return
    const r = row as Record<string, unknown>
    if (typeof r.t_ms !== 'number') return
    const i = series.t_ms.length
    series.t_ms.push(r.t_ms)
    const vals = new Map<string, number>()
    flatten(r, vals, 0)
    for (const [k, v] of vals) {
      let col = series.fields.get(k)
      if (!col) {
        col = new Array<number>(i).fill(Number.NaN)
        series.fields.set(k, col)
      }
      col.push(v)
    }
    for (const col of series.fields.values()) if (col.length === i) col.push(Number.NaN)
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
