import { describe, expect, test } from 'vitest'
import { newRecord } from '../../../helpers/client/record-identity'
import { RequestRecord } from '../../../helpers/client/request-record'
import type { ClientRequest } from '../../../helpers/workload/workload-types'

const req = (meta: Partial<ClientRequest['meta']> = {}): ClientRequest => ({
  endpoint: 'chat',
  stream: true,
  body: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 },
  meta: { request_id: 'r1', workload: 'w', prompt_sha: 'ps', params_hash: 'ph', identity_hash: 'ih', payload_hash: 'pl', prompt_tokens_expected: 3, ...meta },
})
const ctx = { run_id: 'run', suite_id: 's', phase: 'p', phase_kind: 'measure' as const, mode: 'B1', seq: 4, t_scheduled_ms: 12.5 }

describe('newRecord', () => {
  test('copies the identity into a complete record that the schema accepts, outcome fields at their empty values', () => {
    const r = newRecord(req(), ctx)
    expect(RequestRecord.parse(r)).toEqual(r)
    expect(r).toMatchObject({ run_id: 'run', seq: 4, request_id: 'r1', endpoint: 'chat', stream: true, max_tokens: 8, t_scheduled_ms: 12.5, ok: false, ttft_ms: null, error_class: null })
  })

  test('leaves optional identity fields out unless the request or phase has them', () => {
    const bare = newRecord(req(), ctx)
    for (const k of ['step', 'repetition', 'session_id', 'turn', 'adapter', 'prefix_hash']) expect(Object.hasOwn(bare, k)).toBe(false)
    const full = newRecord(req({ session_id: 'sess', turn: 2, adapter: 'lora1', prefix_hash: 'px' }), { ...ctx, step: { concurrency: 8 }, repetition: 1 })
    expect(full).toMatchObject({ step: { concurrency: 8 }, repetition: 1, session_id: 'sess', turn: 2, adapter: 'lora1', prefix_hash: 'px' })
  })

  test('gives every record its own object, so filling one in never touches another', () => {
    const a = newRecord(req(), ctx)
    const b = newRecord(req(), ctx)
    a.ttft_ms = 5
    expect(b.ttft_ms).toBeNull()
  })
})
