import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { RequestRecord } from '../../../helpers/client/request-record'
import { createRunClock } from '../../../helpers/client/run-clock'
import { spawnKvsim, type SpawnedKvsim } from '../../../helpers/client/spawn-kvsim'
import { createStreamClient, type StreamClient } from '../../../helpers/client/stream-client'
import { ctx, makeRequest } from './fake-openai-server'

// Integration: the client against a real kvsim process. Both sides stamp CLOCK_MONOTONIC, so the
// client's first-token time minus kvsim's is the client's measurement error (always >= 0).
describe('stream client against kvsim', () => {
  const clock = createRunClock()
  let kvsim: SpawnedKvsim
  let client: StreamClient
  beforeAll(async () => {
    kvsim = await spawnKvsim({ profile: 'tiny', timeScale: 0.01 })
    client = createStreamClient({ baseUrl: kvsim.url, model: kvsim.model, maxInFlight: 8, clock })
  })
  afterAll(async () => {
    await client?.close()
    await kvsim?.stop()
  })

  test('completions and chat streams from kvsim give valid records whose first token trails the server timing truth', async () => {
    const reqs = [
      makeRequest({ body: { prompt: 'The tiering question is', max_tokens: 8 }, meta: { request_id: 'k1' } }),
      makeRequest({ endpoint: 'chat', body: { messages: [{ role: 'user', content: 'hello' }], max_tokens: 6 }, meta: { request_id: 'k2' } }),
    ]
    for (const [i, req] of reqs.entries()) {
      const r = await client.send(req, ctx(clock.nowMs(), i))
      expect(RequestRecord.parse(r)).toEqual(r)
      expect(r, r.error_message ?? '').toMatchObject({ ok: true, output_tokens_source: 'usage', input_tokens_source: 'usage' })
      expect(r.output_tokens).toBe(req.body.max_tokens)
      expect(r.itl_ms).toHaveLength(r.output_tokens! - 1)
      const st = r.server_timing!
      expect(st.received_ms).toBeGreaterThanOrEqual(r.t_sent_ms)
      expect(st.first_token_ms!).toBeGreaterThanOrEqual(st.received_ms)
      expect(r.t_first_token_ms!).toBeGreaterThanOrEqual(st.first_token_ms!)
      expect(r.t_last_token_ms! - st.last_token_ms!).toBeGreaterThanOrEqual(0)
    }
  })

  test('an over-long prompt is refused by kvsim and classed http_4xx', async () => {
    const r = await client.send(makeRequest({ body: { prompt: 'word '.repeat(20_000), max_tokens: 4 } }), ctx(clock.nowMs()))
    expect(r).toMatchObject({ ok: false, error_class: 'http_4xx' })
    expect(r.http_status).toBeGreaterThanOrEqual(400)
  })
})
