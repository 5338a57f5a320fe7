import type { RequestRecord } from '../client/request-record'
import { LATE_SEND_MS, type PhaseRunResult } from './phase-run-result'
import type { ExecutorDeps } from './executor-deps'

export interface PhaseTally {
  /**
   * Sends one item and emits its record when it finishes; the promise never rejects. `inspect` sees
   * the record before it is emitted (sessions read the answer before the harness may strip it).
   */
  launch(item: Parameters<ExecutorDeps['send']>[0], t_scheduled_ms: number, inspect?: (r: RequestRecord) => void): Promise<RequestRecord>
  dropped(item: Parameters<ExecutorDeps['send']>[0], t_scheduled_ms: number, reason: string): void
  readonly inFlight: number
  /** Resolves when nothing is in flight. */
  drain(): Promise<void>
  result(): PhaseRunResult
}

// Shared bookkeeping of every executor: counts, in-flight set, and records out the door immediately.
export const createPhaseTally = (deps: ExecutorDeps): PhaseTally => {
  const { clock } = deps
  const t_start_ms = clock.nowMs()
  const wall_start_ms = clock.wallMs()
  let sent = 0
  let completed = 0
  let errors = 0
  let dropped = 0
  let late = 0
  let emitted = 0
  const inFlight = new Set<Promise<RequestRecord>>()

  const emit = (r: RequestRecord) => {
    emitted++
    deps.onRecord(r)
  }

  return {
    launch(item, t, inspect) {
      sent++
      const p = deps.send(item, t).then((r) => {
        inFlight.delete(p)
        inspect?.(r)
        completed++
        if (!r.ok) errors++
        if (r.schedule_delay_ms > LATE_SEND_MS) late++
        emit(r)
        return r
      })
      inFlight.add(p)
      return p
    },
    dropped(item, t, reason) {
      dropped++
      emit(deps.drop(item, t, reason))
    },
    get inFlight() {
      return inFlight.size
    },
    async drain() {
      while (inFlight.size > 0) await Promise.all([...inFlight])
    },
    result: () => ({
      t_start_ms,
      t_end_ms: clock.nowMs(),
      wall_start_ms,
      wall_end_ms: clock.wallMs(),
      sent,
      completed,
      errors,
      dropped,
      late_sends: late,
      interrupted: deps.signal.aborted,
      records_emitted: emitted,
    }),
  }
}

export const requireStream = (deps: ExecutorDeps, executor: string) => {
  if (deps.workload.kind !== 'stream') {
    throw new TypeError(`Expected a request-stream workload for executor ${executor}, got a ${deps.workload.kind} workload`)
  }
  return deps.workload.source
}
