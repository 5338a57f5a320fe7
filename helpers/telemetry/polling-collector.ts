import {
  type Availability,
  type Collector,
  type CollectorOptions,
  DEFAULT_CADENCE_MS,
  type Sample,
  type Series,
  emptySeries,
} from './collector'

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
  let timer: NodeJS.Timeout | null = null
  let inFlight: Promise<void> = Promise.resolve()
  let prev: R | null = null
  let prevT = 0
  let originMs = 0
  let k = 0

  const nullSnapshot = () => Object.fromEntries(spec.snapshotKeys.map((key) => [key, null]))

  const tick = async (plannedMs: number) => {
    const t = opts.clock.nowMs()
    series.jitter_ms.push(Math.abs(t - plannedMs))
    try {
      const cur = await spec.read()
      const s = spec.toSample(prev, cur, (t - prevT) / 1000, { t_ms: t, wall_ms: opts.clock.wallMs() })
      prev = cur
      prevT = t
      if (s) {
        if (opts.retainSamples !== false) series.samples.push(s)
        opts.onSample?.(s)
      }
    } catch (e) {
      if (series.errors.length < 100) series.errors.push(`Expected a ${spec.name} reading, got ${(e as Error).message}`)
    }
  }

  const schedule = () => {
    if (state !== 'running') return
    const now = opts.clock.nowMs()
    k = Math.max(k + 1, Math.ceil((now - originMs) / cadenceMs))
    const planned = originMs + k * cadenceMs
    timer = setTimeout(() => {
      inFlight = tick(planned).finally(schedule)
    }, Math.max(0, planned - now))
    timer.unref?.()
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
      originMs = opts.clock.nowMs()
      prevT = originMs
      prev = await spec.read().catch(() => null)
      k = 0
      schedule()
    },
    async stop() {
      if (state === 'running') {
        state = 'stopped'
        if (timer) clearTimeout(timer)
        await inFlight
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
