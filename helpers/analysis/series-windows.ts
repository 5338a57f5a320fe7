import type { RequestRecord } from '../client/request-record'
import { percentileSorted, sortedCopy } from './percentile'

// Request records bucketed into fixed time windows on the run clock, so per-window TTFT p50/p99
// can be correlated with telemetry series sampled on the same clock. A request belongs to the
// window of its first token (the moment its TTFT became visible); failed requests with no first
// token fall into the window where they ended. Empty windows are kept (null figures) so windows
// of two series line up by index.

export interface SeriesWindow {
  t_start_ms: number
  t_end_ms: number
  count: number
  ok: number
  errors: number
  ttft_p50_ms: number | null
  ttft_p99_ms: number | null
}

export interface SeriesWindowOptions {
  /** @default 1000 */
  window_ms?: number
  /** Defaults to the earliest request time, floored to a window boundary. */
  start_ms?: number
  /** Defaults to the latest request time. */
  end_ms?: number
}

type WindowRecord = Pick<RequestRecord, 'ok' | 't_first_token_ms' | 't_end_ms' | 'ttft_ms'>

const timeOf = (r: WindowRecord): number => r.t_first_token_ms ?? r.t_end_ms

export const seriesWindows = (records: readonly WindowRecord[], opts: SeriesWindowOptions = {}): SeriesWindow[] => {
  const w = opts.window_ms ?? 1000
  if (!(w > 0)) throw new RangeError(`Expected window_ms > 0, got ${w}`)
  if (records.length === 0 && (opts.start_ms === undefined || opts.end_ms === undefined)) return []
  let lo = Infinity
  let hi = -Infinity
  for (const r of records) {
    const t = timeOf(r)
    if (t < lo) lo = t
    if (t > hi) hi = t
  }
  const start = opts.start_ms ?? Math.floor(lo / w) * w
  const end = opts.end_ms ?? hi
  const n = Math.max(1, Math.floor((end - start) / w) + 1)
  const buckets: { ok: number; errors: number; ttft: number[] }[] = Array.from({ length: n }, () => ({ ok: 0, errors: 0, ttft: [] }))
  for (const r of records) {
    const i = Math.floor((timeOf(r) - start) / w)
    if (i < 0 || i >= n) continue
    const b = buckets[i]
    if (r.ok) {
      b.ok++
      if (r.ttft_ms !== null) b.ttft.push(r.ttft_ms)
    } else b.errors++
  }
  return buckets.map((b, i) => {
    const s = sortedCopy(b.ttft)
    return {
      t_start_ms: start + i * w,
      t_end_ms: start + (i + 1) * w,
      count: b.ok + b.errors,
      ok: b.ok,
      errors: b.errors,
      ttft_p50_ms: percentileSorted(s, 50),
      ttft_p99_ms: percentileSorted(s, 99),
    }
  })
}

/** Mean of telemetry samples {t_ms, value} per window (null where a window has none), aligned to `windows`. */
export const resampleToWindows = (
  windows: readonly Pick<SeriesWindow, 't_start_ms' | 't_end_ms'>[],
  samples: readonly { t_ms: number; value: number | null }[],
): (number | null)[] => {
  if (windows.length === 0) return []
  const start = windows[0].t_start_ms
  const w = windows[0].t_end_ms - windows[0].t_start_ms
  const sum = new Float64Array(windows.length)
  const cnt = new Uint32Array(windows.length)
  for (const s of samples) {
    if (s.value === null || !Number.isFinite(s.value)) continue
    const i = Math.floor((s.t_ms - start) / w)
    if (i < 0 || i >= windows.length) continue
    sum[i] += s.value
    cnt[i]++
  }
  return Array.from(sum, (v, i) => (cnt[i] > 0 ? v / cnt[i] : null))
}
