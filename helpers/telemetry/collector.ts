// One interface for every telemetry source, checked by one conformance test
// (test/helpers/telemetry/collector-conformance.ts). Samples are typed time series on the run's
// monotonic clock; snapshots are cumulative counters the timeline diffs at phase boundaries.

export type CollectorName =
  | 'block_device'
  | 'cpu'
  | 'memory'
  | 'process_io'
  | 'gpu'
  | 'kvbm'
  | 'frontend'
  | 'nvme_health'
  | 'cache_dir'
  | 'client_pool'
  | 'sysstat'

/** The part of RunClock (helpers/client/run-clock.ts) telemetry needs. */
export interface TelemetryClock {
  nowMs(): number
  wallMs(): number
}

export interface Sample {
  /** Run-monotonic ms when the reading was taken. */
  t_ms: number
  /** Wall-clock ms of the same instant, for aligning with external logs. */
  wall_ms: number
}

export interface Availability {
  available: boolean
  reason?: string
}

export interface Series<S extends Sample> {
  collector: string
  cadence_ms: number
  samples: S[]
  /** |actual − planned| sample time per tick, ms (sampling jitter). */
  jitter_ms: number[]
  /** Readings that failed (the loop keeps going); `Expected … got …` strings. */
  errors: string[]
}

export interface Collector<S extends Sample> {
  readonly name: string
  available(): Promise<Availability>
  start(): Promise<void>
  stop(): Promise<Series<S>>
  snapshot(): Promise<Record<string, number | null>>
}

export interface CollectorOptions<S extends Sample> {
  clock: TelemetryClock
  /** @default 200 */
  cadenceMs?: number
  /** Called for every sample as it is taken (the timeline streams it to JSONL). */
  onSample?: (sample: S) => void
  /** Keep samples in memory for stop(); the timeline turns this off and streams to JSONL. @default true */
  retainSamples?: boolean
  /** Shared timer (helpers/telemetry/ticker.ts) with the same cadence; else the collector makes its own. */
  ticker?: import('./ticker').Ticker
}

export const DEFAULT_CADENCE_MS = 200

export const emptySeries = <S extends Sample>(collector: string, cadenceMs: number): Series<S> => ({
  collector,
  cadence_ms: cadenceMs,
  samples: [],
  jitter_ms: [],
  errors: [],
})

/** A rate over an interval, or null when either reading is missing or the interval is empty. */
export const rate = (a: number | null | undefined, b: number | null | undefined, seconds: number): number | null =>
  a == null || b == null || !(seconds > 0) ? null : (b - a) / seconds
