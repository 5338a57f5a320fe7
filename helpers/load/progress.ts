import { selectPercentile } from '../analysis/percentile'
import type { RequestRecord } from '../client/request-record'
import type { RunClock } from '../client/run-clock'

export interface ProgressOptions {
  phase: string
  /** Planned length in seconds; null when open-ended (trace replay, iteration count). */
  planned_s: number | null
  /** Planned request count (iteration-bounded phases), for an ETA when planned_s is null. */
  planned_requests?: number | null
  clock: RunClock
  /** Requests in flight right now (client pool running + queued). */
  inFlight: () => number
  /** @default 5000 */
  intervalMs?: number
  /** Rolling window of the TTFT p99. @default 30000 */
  windowMs?: number
  /** @default process.stderr */
  write?: (line: string) => void
  /** The rolling p99 covers at most this many recent TTFTs. @default 2048 */
  maxSamples?: number
}

export interface Progress {
  record(r: RequestRecord): void
  /** The line that would be printed now (tests, final summary). */
  line(): string
  stop(): void
}

// A heartbeat for people watching a 300 s phase: one stderr line every 5 s with elapsed/planned,
// done, errors, dropped, in flight and the TTFT p99 of the last 30 s (at most the last 2,048 TTFTs).
// The window is a fixed ring of doubles: at 1,000 req/s an unbounded 30 s window meant sorting 30,000
// numbers on the event loop every 5 s, a burst that delayed every socket read behind it.
export const startProgress = (o: ProgressOptions): Progress => {
  const windowMs = o.windowMs ?? 30_000
  const write = o.write ?? ((l: string) => process.stderr.write(l + '\n'))
  const t0 = o.clock.nowMs()
  let done = 0
  let errors = 0
  let dropped = 0
  const cap = o.maxSamples ?? 2048
  const times = new Float64Array(cap)
  const ttfts = new Float64Array(cap)
  const scratch = new Float64Array(cap)
  let written = 0 // total pushed; the ring holds the last min(written, cap)

  // Time left: from the planned length, else from the request rate so far against the planned count.
  const eta = (now: number): string => {
    const elapsedS = (now - t0) / 1000
    let left: number | null = null
    if (o.planned_s !== null) left = Math.max(0, o.planned_s - elapsedS)
    else if (o.planned_requests && done + dropped > 0) left = Math.max(0, (elapsedS * (o.planned_requests - done - dropped)) / (done + dropped))
    if (left === null) return '?'
    const s = Math.round(left)
    return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  }

  const line = () => {
    const now = o.clock.nowMs()
    let n = 0
    for (let i = 0, held = Math.min(written, cap); i < held; i++) if (times[i] >= now - windowMs) scratch[n++] = ttfts[i]
    const p99 = selectPercentile(scratch, n, 99)
    const elapsed = ((now - t0) / 1000).toFixed(1)
    const planned = o.planned_s === null ? '?' : String(o.planned_s)
    const ttft = p99 === null ? 'n/a' : `${p99.toFixed(1)} ms`
    return `[tierbench] phase=${o.phase} ${elapsed}/${planned} s done=${done} errors=${errors} dropped=${dropped} in_flight=${o.inFlight()} ttft_p99_${Math.round(windowMs / 1000)}s=${ttft} eta=${eta(now)}`
  }

  const timer = setInterval(() => write(line()), o.intervalMs ?? 5000)
  timer.unref()
  return {
    record(r) {
      if (r.error_class === 'dropped') dropped++
      else {
        done++
        if (!r.ok) errors++
      }
      if (r.ttft_ms !== null) {
        const i = written++ % cap
        times[i] = r.t_end_ms
        ttfts[i] = r.ttft_ms
      }
    },
    line,
    stop: () => clearInterval(timer),
  }
}
