import type { PhaseOutcome } from './define-hypothesis'

// Figures suites derive from phase records and telemetry rows, defined once (iostat -x semantics
// as reference/metrics.md gives them): suites compare them across legs and correlate them in time.

/** A telemetry JSONL row: run-clock time plus fields; Prometheus rows keep cumulative `values`. */
export interface TelemetryRow {
  t_ms: number
  [k: string]: unknown
}

export interface TimedValue {
  t_ms: number
  value: number | null
}

/** Rate per second of a cumulative counter in `values` between consecutive rows, stamped at the later row. */
export const counterRate = (rows: TelemetryRow[], key: string): TimedValue[] =>
  rows.slice(1).map((r, i) => {
    const a = (rows[i].values as Record<string, number> | undefined)?.[key]
    const b = (r.values as Record<string, number> | undefined)?.[key]
    const dt = (r.t_ms - rows[i].t_ms) / 1000
    return { t_ms: r.t_ms, value: typeof a === 'number' && typeof b === 'number' && dt > 0 && b >= a ? (b - a) / dt : null }
  })

/** One numeric field of each row as a time series. */
export const seriesField = (rows: TelemetryRow[], key: string): TimedValue[] =>
  rows.map((r) => ({ t_ms: r.t_ms, value: (r[key] as number | null | undefined) ?? null }))

/** Mean read latency over the phase, ms: Δread ticks ÷ Δreads (includes queue time, like iostat's r_await). */
export const phaseReadAwaitMs = (o: PhaseOutcome): number | null => {
  const bd = o.record.deltas.block_device
  const ios = bd?.read_ios ?? null
  const ticks = bd?.read_ticks_ms ?? null
  return ios && ticks !== null ? ticks / ios : null
}

/** Mean queue depth over the phase: Δweighted ticks ÷ phase duration (iostat's aqu-sz). */
export const phaseQueueDepth = (o: PhaseOutcome): number | null => {
  const w = o.record.deltas.block_device?.weighted_ticks_ms ?? null
  const ms = o.record.t_end_ms - o.record.t_start_ms
  return w !== null && ms > 0 ? w / ms : null
}
