// The run's monotonic clock. Every request timestamp is milliseconds since a shared origin on
// CLOCK_MONOTONIC (process.hrtime.bigint()), which is host-wide, so records written by different
// processes (workers, kvsim, collectors) line up without wall-clock jumps.
export interface RunClock {
  /** Origin in CLOCK_MONOTONIC ns. */
  readonly originNs: bigint
  /** Milliseconds since the origin, sub-microsecond resolution. */
  nowMs(): number
  /** Converts an absolute CLOCK_MONOTONIC ns timestamp (e.g. kvsim's timing truth) to run ms. */
  fromNs(ns: bigint): number
  /** Wall-clock ms (Date.now() + fraction), only for aligning with external telemetry. */
  wallMs(): number
}

// Subtract in bigint first so the float keeps full precision for runs of any length.
export const createRunClock = (originNs: bigint = process.hrtime.bigint()): RunClock => {
  const wallAtOrigin = performance.timeOrigin + performance.now() - Number(process.hrtime.bigint() - originNs) / 1e6
  return {
    originNs,
    nowMs: () => Number(process.hrtime.bigint() - originNs) / 1e6,
    fromNs: (ns) => Number(ns - originNs) / 1e6,
    wallMs: () => wallAtOrigin + Number(process.hrtime.bigint() - originNs) / 1e6,
  }
}
