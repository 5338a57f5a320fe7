import type { PromParseResult } from '../telemetry/prometheus-parser'

// Reading a backend's series out of one parsed scrape, whatever the exporter's spelling: counters
// from prometheus_client carry `_total` (and `_created` gauges), Rust counters (KVBM) do not, and a
// parser may file `x_total` under family `x` or `x_total` (reference tiering-backends.md §11.12).
// Values are summed over every label set the filter keeps (worker_id, tp_rank, engine, …).

const base = (name: string): string => name.replace(/_total$/, '')

export type LabelFilter = (labels: Record<string, string>) => boolean

/** Sum of every sample of counter/gauge `name` (with or without `_total`) the filter keeps; null if none exists. */
export const sumSeries = (scrape: PromParseResult | null, name: string, filter?: LabelFilter): number | null => {
  if (!scrape) return null
  const want = base(name)
  let total = 0
  let any = false
  for (const f of [scrape.families.get(want), scrape.families.get(`${want}_total`)]) {
    if (!f) continue
    for (const s of f.samples) {
      if (s.name !== want && s.name !== `${want}_total`) continue
      if (filter && !filter(s.labels)) continue
      if (!Number.isFinite(s.value)) continue
      total += s.value
      any = true
    }
  }
  return any ? total : null
}

/** Whether the scrape has family `name`, with or without `_total`. */
export const hasFamily = (scrape: PromParseResult | null, name: string): boolean =>
  !!scrape && (scrape.families.has(base(name)) || scrape.families.has(`${base(name)}_total`))

/** Label values of `label` over the samples of `name` (e.g. the vLLM tiering `tier` label). */
export const labelValues = (scrape: PromParseResult | null, name: string, label: string): string[] => {
  if (!scrape) return []
  const out = new Set<string>()
  for (const f of [scrape.families.get(base(name)), scrape.families.get(`${base(name)}_total`)])
    for (const s of f?.samples ?? []) if (s.labels[label] !== undefined) out.add(s.labels[label])
  return [...out]
}

/** x × k, keeping null. */
export const scaled = (x: number | null, k: number | null): number | null => (x === null || k === null ? null : x * k)

/** x / k for bytes → tokens; null when either is unknown (never a guessed factor). */
export const perToken = (bytes: number | null, bytesPerToken: number | null): number | null =>
  bytes === null || bytesPerToken === null || bytesPerToken <= 0 ? null : bytes / bytesPerToken
