import type { RequestRecord } from './request-record'
import type { SendContext } from './stream-client'
import type { ClientRequest } from '../workload/workload-types'

/** The fields of a RequestRecord that only say which request it was (phase, identity hashes…). */
export type RecordIdentity = Pick<
  RequestRecord,
  | 'run_id' | 'suite_id' | 'phase' | 'phase_kind' | 'mode' | 'seq' | 'request_id' | 'workload' | 'endpoint' | 'stream'
  | 'max_tokens' | 'prompt_sha' | 'params_hash' | 'identity_hash' | 'payload_hash' | 'prompt_tokens_expected'
  | 'step' | 'repetition' | 'session_id' | 'turn' | 'adapter' | 'prefix_hash' | 'reusable_tokens_max'
>

// One place that copies a request's identity into its record, whether it was sent (client) or
// dropped (open-loop executor). It returns the whole record as ONE object literal, every outcome
// field at its "nothing happened" value, for the caller to overwrite in place. Why not
// `{ ...identity, t_sent_ms, … }`: on Node 20 a spread followed by ~30 more properties cost about
// 30 KB of young-generation garbage and 250 µs per record (new hidden-class transitions every time),
// the largest single cost of the client's hot path (docs/client-and-load.md). Optional identity
// fields are left out rather than written as undefined.
export const newRecord = (req: ClientRequest, ctx: Omit<SendContext, 'signal'>): RequestRecord => {
  const m = req.meta
  const r: RequestRecord = {
    run_id: ctx.run_id,
    suite_id: ctx.suite_id,
    phase: ctx.phase,
    phase_kind: ctx.phase_kind,
    mode: ctx.mode,
    seq: ctx.seq,
    request_id: m.request_id,
    workload: m.workload,
    endpoint: req.endpoint,
    stream: req.stream,
    max_tokens: req.body.max_tokens,
    prompt_sha: m.prompt_sha,
    params_hash: m.params_hash,
    identity_hash: m.identity_hash,
    payload_hash: m.payload_hash,
    prompt_tokens_expected: m.prompt_tokens_expected,
    t_scheduled_ms: ctx.t_scheduled_ms,
    t_sent_ms: 0,
    t_headers_ms: null,
    t_first_chunk_ms: null,
    t_first_token_ms: null,
    t_last_token_ms: null,
    t_end_ms: 0,
    wall_sent_ms: 0,
    schedule_delay_ms: 0,
    ttfb_ms: null,
    ttfc_ms: null,
    ttft_ms: null,
    ttft_from_schedule_ms: null,
    tpot_ms: null,
    e2e_ms: 0,
    ok: false,
    http_status: null,
    error_class: null,
    error_message: null,
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
  if (ctx.step !== undefined) r.step = ctx.step
  if (ctx.repetition !== undefined) r.repetition = ctx.repetition
  if (m.session_id !== undefined) r.session_id = m.session_id
  if (m.turn !== undefined) r.turn = m.turn
  if (m.adapter !== undefined) r.adapter = m.adapter
  if (m.prefix_hash !== undefined) r.prefix_hash = m.prefix_hash
  if (m.reusable_tokens_max !== undefined) r.reusable_tokens_max = m.reusable_tokens_max
  return r
}
