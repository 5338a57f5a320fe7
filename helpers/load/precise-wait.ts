import type { RunClock } from '../client/run-clock'

/** Below this much time left, stop trusting setTimeout (1 ms granularity, late under load). */
export const SPIN_WINDOW_MS = 2

const immediate = () => new Promise<void>((r) => setImmediate(r))

// Sleeps until run-clock time `due` with sub-millisecond precision: a coarse setTimeout for the bulk,
// then setImmediate turns (which still let socket IO run) for the last ~2 ms. Returns early when the
// signal aborts. Returns how late it woke (ms, >= 0).
export const waitUntil = async (clock: RunClock, due: number, signal?: AbortSignal): Promise<number> => {
  let rem = due - clock.nowMs()
  if (rem > SPIN_WINDOW_MS) {
    await new Promise<void>((resolve) => {
      const onAbort = () => {
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, rem - SPIN_WINDOW_MS)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
  for (;;) {
    if (signal?.aborted) return 0
    rem = due - clock.nowMs()
    if (rem <= 0) return -rem
    await immediate()
  }
}
