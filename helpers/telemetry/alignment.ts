// The plan's alignment gate: a request event is aligned with a collector when that collector
// has a sample within one cadence of it; the gate wants ≥ 95 % aligned for every required one.
export interface AlignmentResult {
  /** % of events aligned with every required collector (0–100); null with no events. */
  aligned_pct: number | null
  per_collector: Record<string, number | null>
}

const nearestGap = (sorted: number[], t: number): number => {
  let lo = 0
  let hi = sorted.length - 1
  if (hi < 0) return Number.POSITIVE_INFINITY
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid] < t) lo = mid + 1
    else hi = mid
  }
  const a = Math.abs(sorted[lo] - t)
  const b = lo > 0 ? Math.abs(sorted[lo - 1] - t) : Number.POSITIVE_INFINITY
  return Math.min(a, b)
}

export const alignEvents = (
  events: { t_ms: number }[],
  sampleTimes: Record<string, number[]>,
  required: string[],
  cadenceMs: number,
): AlignmentResult => {
  if (events.length === 0) return { aligned_pct: null, per_collector: Object.fromEntries(required.map((c) => [c, null])) }
  const sorted = Object.fromEntries(required.map((c) => [c, [...(sampleTimes[c] ?? [])].sort((x, y) => x - y)]))
  const hits = Object.fromEntries(required.map((c) => [c, 0]))
  let all = 0
  for (const e of events) {
    let ok = true
    for (const c of required) {
      if (nearestGap(sorted[c], e.t_ms) <= cadenceMs) hits[c]++
      else ok = false
    }
    if (ok) all++
  }
  const pct = (n: number) => (n / events.length) * 100
  return { aligned_pct: pct(all), per_collector: Object.fromEntries(required.map((c) => [c, pct(hits[c])])) }
}
