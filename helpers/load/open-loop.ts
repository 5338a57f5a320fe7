import type { WorkItem } from '../workload/workload-types'
import type { ExecutorDeps } from './executor-deps'
import type { PhaseRunResult } from './phase-run-result'
import { type PhaseTally, createPhaseTally, requireStream } from './phase-tally'
import { waitUntil } from './precise-wait'

export interface Arrival {
  item: WorkItem
  /** Offset from the phase start, ms. */
  at_ms: number
}

// The open-loop sender shared by arrivalRate, ramping and fixedSchedule: it never waits
// on completions. Each arrival is sent at its instant (t_scheduled = phase start + at_ms, so lateness
// shows as schedule_delay_ms), or dropped and recorded when max_in_flight requests are running.
// The next item is built right after a send, while the loop would otherwise be idle.
export const runOpenLoop = async (
  deps: ExecutorDeps,
  tally: PhaseTally,
  nextArrival: () => Arrival | null,
  maxInFlight: number,
): Promise<void> => {
  const { clock, signal } = deps
  try {
    let next = signal.aborted ? null : nextArrival()
    // The schedule starts once the first item exists: building it may load a tokenizer (about a
    // second), which must not make every early arrival late.
    const t0 = clock.nowMs()
    while (next !== null) {
      const due = t0 + next.at_ms
      await waitUntil(clock, due, signal)
      if (signal.aborted) break
      if (tally.inFlight >= maxInFlight) tally.dropped(next.item, due, `Expected fewer than max_in_flight=${maxInFlight} requests running, got ${tally.inFlight}`)
      else void tally.launch(next.item, due)
      next = nextArrival()
    }
  } finally {
    // Even when the workload throws, every request already sent gets its record.
    await tally.drain()
  }
}

/** Open loop over a precomputed arrival schedule (offsets in ms): arrivalRate and its ramping form. */
export const runArrivalSchedule = async (
  deps: ExecutorDeps,
  executor: string,
  schedule: ArrayLike<number>,
  maxInFlight: number,
): Promise<PhaseRunResult> => {
  const source = requireStream(deps, executor)
  const tally = createPhaseTally(deps)
  let i = 0
  await runOpenLoop(
    deps,
    tally,
    () => {
      if (i >= schedule.length) return null
      const item = source.next()
      return item === null ? null : { item, at_ms: schedule[i++] }
    },
    maxInFlight,
  )
  return tally.result()
}
