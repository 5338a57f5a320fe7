import type { RequestRecord } from '../client/request-record'
import type { RunClock } from '../client/run-clock'
import type { SendContext } from '../client/stream-client'
import type { ClientRequest } from '../workload/workload-types'
import { recordIdentity } from '../client/record-identity'

// The record of an arrival the executor could not start (k6 dropped_iterations): nothing under
// open-loop load is silently lost. t_sent = t_end = the moment of the decision; no latency figures.
export const droppedRecord = (req: ClientRequest, ctx: Omit<SendContext, 'signal'>, clock: RunClock, reason: string): RequestRecord => {
  const now = clock.nowMs()
  const r: RequestRecord = {
    ...recordIdentity(req, ctx),
    t_scheduled_ms: ctx.t_scheduled_ms,
    t_sent_ms: now,
    t_headers_ms: null,
    t_first_chunk_ms: null,
    t_first_token_ms: null,
    t_last_token_ms: null,
    t_end_ms: now,
    wall_sent_ms: clock.wallMs(),
    schedule_delay_ms: now - ctx.t_scheduled_ms,
    ttfb_ms: null,
    ttfc_ms: null,
    ttft_ms: null,
    ttft_from_schedule_ms: null,
    tpot_ms: null,
    e2e_ms: 0,
    ok: false,
    http_status: null,
    error_class: 'dropped',
    error_message: reason,
    input_tokens: null,
    input_tokens_source: null,
    output_tokens: null,
    output_tokens_source: null,
    cached_tokens: null,
    output_sha: null,
    response_id: null,
    x_request_id: null,
    server_timing: null,
  }
  return r
}
