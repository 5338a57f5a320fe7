import {
  type Availability,
  type Collector,
  type CollectorOptions,
  DEFAULT_CADENCE_MS,
  type Sample,
  type Series,
  emptySeries,
} from './collector'
import { createTicker } from './ticker'

// The shared sampling loop: ticks are planned at origin + k × cadence (drift-free) and a slow
// reading skips the slots it overran instead of bunching samples, so jitter stays measurable.
export interface PollingSpec<R, S extends Sample> {
  name: string
  available(): Promise<Availability>
  /** One raw reading (counters as read). */
  read(): Promise<R>
  /** Turns two consecutive readings into a sample; null = emit nothing for this tick. */
  toSample(prev: R | null, cur: R, seconds: number, base: Sample): S | null
  /** Cumulative counters of a reading, for phase deltas. */
  toSnapshot(cur: R): Record<string, number | null>
  /** Keys snapshot() returns when the source is unavailable (all null), so the shape is stable. */
  snapshotKeys: string[]
}

export const createPollingCollector = <R, S extends Sample>(
  spec: PollingSpec<R, S>,
  opts: CollectorOptions<S>,
): Collector<S> => {
  const cadenceMs = opts.cadenceMs ?? DEFAULT_CADENCE_MS
  const series: Series<S> = emptySeries<S>(spec.name, cadenceMs)
  let state: 'idle' | 'running' | 'stopped' = 'idle'
  let unsubscribe: (() => void) | null = null
  let inFlight: Promise<void> | null = null
  let prev: R | null = null
  let prevT = 0

  const nullSnapshot = () => Object.fromEntries(spec.snapshotKeys.map((key) => [key, null]))

  const tick = async (plannedMs: number) => {
    const t = opts.clock.nowMs()
    series.jitter_ms.push(Math.abs(t - plannedMs))
    try {
      const cur = await spec.read()
      const s = spec.toSample(prev, cur, (t - prevT) / 1000, { t_ms: t, wall_ms: opts.clock.wallMs() })
      prev = cur
      prevT = t
      if (s && state === 'running') {
        if (opts.retainSamples !== false) series.samples.push(s)
        opts.onSample?.(s)
      }
    } catch (e) {
      if (series.errors.length < 100) series.errors.push(`Expected a ${spec.name} reading, got ${(e as Error).message}`)
    }
  }

  // A reading still running when the next tick comes skips that tick (no bunching).
  const onTick = (plannedMs: number) => {
    if (state !== 'running' || inFlight) return
    inFlight = tick(plannedMs).finally(() => {
      inFlight = null
    })
  }

  return {
    name: spec.name,
    available: async () => {
      try {
        return await spec.available()
      } catch (e) {
        return { available: false, reason: `Expected ${spec.name} to probe cleanly, got ${(e as Error).message}` }
      }
    },
    async start() {
      if (state !== 'idle') return
      const av = await spec.available().catch(() => ({ available: false }))
      state = 'running'
      if (!av.available) return
      prevT = opts.clock.nowMs()
      prev = await spec.read().catch(() => null)
      const ticker = opts.ticker ?? createTicker(opts.clock, cadenceMs)
      unsubscribe = ticker.subscribe(onTick)
    },
    async stop() {
      if (state === 'running') {
        unsubscribe?.()
        unsubscribe = null
        if (inFlight) await inFlight
      }
      state = 'stopped'
      return series
    },
    async snapshot() {
      const av = await spec.available().catch(() => ({ available: false }))
      if (!av.available) return nullSnapshot()
      try {
        return { ...nullSnapshot(), ...spec.toSnapshot(await spec.read()) }
      } catch {
        return nullSnapshot()
      }
    },
  }
}
