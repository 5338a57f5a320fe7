import type { RequestRecord } from '../client/request-record'
import type { RunClock } from '../client/run-clock'
import type { WorkItem, Workload } from '../workload/workload-types'

// What every executor is handed. `send` and `drop` are callbacks (not the client) so executors are
// testable with fakes and never see run/suite/phase identity.
export interface ExecutorDeps {
  workload: Workload
  /** Sends one item scheduled at `t_scheduled_ms`; must resolve (never reject) with its record. */
  send: (item: WorkItem, t_scheduled_ms: number) => Promise<RequestRecord>
  /** Builds the record of an arrival that was not sent (max_in_flight reached). */
  drop: (item: WorkItem, t_scheduled_ms: number, reason: string) => RequestRecord
  clock: RunClock
  /** Stops scheduling; in-flight requests are awaited (the client aborts them on the same signal). */
  signal: AbortSignal
  /** Called with every finished record as soon as it finishes. */
  onRecord: (record: RequestRecord) => void
}
