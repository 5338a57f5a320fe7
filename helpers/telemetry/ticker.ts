import type { TelemetryClock } from './collector'

// One timer for every collector of a timeline: each event-loop wake-up costs ~0.1 ms of CPU on a
// VM, so eight collectors with their own timers paid eight times for waking up. Ticks are planned
// on one grid (origin + k × cadence); subscribers are fired without waiting for each other, so a
// slow scrape never delays the /proc readers.
export interface Ticker {
  readonly cadenceMs: number
  /** Calls fn(plannedMs) at every tick until the returned function is called. */
  subscribe(fn: (plannedMs: number) => void): () => void
}

export const createTicker = (clock: TelemetryClock, cadenceMs: number): Ticker => {
  const subs = new Set<(plannedMs: number) => void>()
  let timer: NodeJS.Timeout | null = null
  let origin = 0
  let k = 0
  const schedule = () => {
    if (subs.size === 0) return
    const now = clock.nowMs()
    k = Math.max(k + 1, Math.ceil((now - origin) / cadenceMs))
    const planned = origin + k * cadenceMs
    timer = setTimeout(() => {
      timer = null
      for (const f of [...subs]) f(planned)
      schedule()
    }, Math.max(0, planned - now))
    timer.unref?.()
  }
  return {
    cadenceMs,
    subscribe(fn) {
      subs.add(fn)
      if (!timer) {
        origin = clock.nowMs()
        k = 0
        schedule()
      }
      return () => {
        subs.delete(fn)
        if (subs.size === 0 && timer) {
          clearTimeout(timer)
          timer = null
        }
      }
    },
  }
}
