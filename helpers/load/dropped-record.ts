import type { RequestRecord } from '../client/request-record'
import type { RunClock } from '../client/run-clock'
import type { SendContext } from '../client/stream-client'
import type { ClientRequest } from '../workload/workload-types'
import { newRecord } from '../client/record-identity'

// The record of an arrival the executor could not start (k6 dropped_iterations): nothing under
// open-loop load is silently lost. t_sent = t_end = the moment of the decision; no latency figures.
export const droppedRecord = (req: ClientRequest, ctx: Omit<SendContext, 'signal'>, clock: RunClock, reason: string): RequestRecord => {
  const now = clock.nowMs()
  const r = newRecord(req, ctx)
  r.t_sent_ms = now
  r.t_end_ms = now
  r.wall_sent_ms = clock.wallMs()
  r.schedule_delay_ms = now - ctx.t_scheduled_ms
  r.error_class = 'dropped'
  r.error_message = reason
  return r
}
