import type { RequestRecord } from './request-record'
import type { SendContext } from './stream-client'
import type { ClientRequest } from '../workload/workload-types'

/** The fields of a RequestRecord that only say which request it was (phase, identity hashes…). */
export type RecordIdentity = Pick<
  RequestRecord,
  | 'run_id' | 'suite_id' | 'phase' | 'phase_kind' | 'mode' | 'seq' | 'request_id' | 'workload' | 'endpoint' | 'stream'
  | 'max_tokens' | 'prompt_sha' | 'params_hash' | 'identity_hash' | 'payload_hash' | 'prompt_tokens_expected'
  | 'step' | 'repetition' | 'session_id' | 'turn' | 'adapter' | 'prefix_hash'
>

// One place that copies a request's identity into its record, whether it was sent (client) or
// dropped (open-loop executor): optional fields are left out rather than written as undefined.
export const recordIdentity = (req: ClientRequest, ctx: Omit<SendContext, 'signal' | 't_scheduled_ms'>): RecordIdentity => {
  const m = req.meta
  const r: RecordIdentity = {
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
  }
  if (ctx.step !== undefined) r.step = ctx.step
  if (ctx.repetition !== undefined) r.repetition = ctx.repetition
  if (m.session_id !== undefined) r.session_id = m.session_id
  if (m.turn !== undefined) r.turn = m.turn
  if (m.adapter !== undefined) r.adapter = m.adapter
  if (m.prefix_hash !== undefined) r.prefix_hash = m.prefix_hash
  return r
}
