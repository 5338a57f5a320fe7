import { createHash } from 'node:crypto'
import { afterEach, describe, expect, test } from 'vitest'
import { RequestRecord } from '../../../helpers/client/request-record'
import { createRunClock } from '../../../helpers/client/run-clock'
import { createStreamClient, type StreamClient } from '../../../helpers/client/stream-client'
import { getTokenizer } from '../../../helpers/tokenizer/tokenizer'
import { completionChunk, ctx, type FakeServer, makeRequest, sleep, sseHeaders, startFakeServer } from './fake-openai-server'

const clock = createRunClock(process.hrtime.bigint())
const sha = (s: string) => createHash('sha256').update(s).digest('hex')

let server: FakeServer | null = null
let client: StreamClient | null = null
afterEach(async () => {
  await client?.close()
  await server?.close()
  client = null
  server = null
})

const setup = async (handler: Parameters<typeof startFakeServer>[0], opts: Partial<Parameters<typeof createStreamClient>[0]> = {}) => {
  server = await startFakeServer(handler)
  client = createStreamClient({ baseUrl: server.url, model: 'tiny', maxInFlight: 4, clock, ...opts })
  return { server, client }
}

describe('stream-client', () => {
  test('a streamed completion gets every timestamp, figure and the server timing truth per metrics.md', async () => {
    let serverFirstNs = 0n
    let serverLastNs = 0n
    const { client, server } = await setup(async (_req, res) => {
      const received = process.hrtime.bigint()
      res.writeHead(200, sseHeaders)
      await sleep(40)
      serverFirstNs = process.hrtime.bigint()
      res.write(completionChunk('cmpl-9', 'Hello'))
      await sleep(20)
      res.write(completionChunk('cmpl-9', ' big'))
      await sleep(20)
      serverLastNs = process.hrtime.bigint()
      res.write(completionChunk('cmpl-9', ' world'))
      const usage = {
        prompt_tokens: 5,
        completion_tokens: 3,
        prompt_tokens_details: { cached_tokens: 4 },
        kvsim_timing: { received_ns: String(received), first_token_ns: String(serverFirstNs), last_token_ns: String(serverLastNs) },
      }
      res.write(`data: ${JSON.stringify({ id: 'cmpl-9', choices: [], usage })}\n\n`)
      res.end('data: [DONE]\n\n')
    })
    const tSched = clock.nowMs()
    const r = await client.send(makeRequest(), ctx(tSched, 7))
    expect(RequestRecord.parse(r)).toEqual(r)
    expect(r).toMatchObject({ ok: true, error_class: null, http_status: 200, seq: 7, response_id: 'cmpl-9', x_request_id: 'srv-req-1' })
    expect(r.t_sent_ms).toBeGreaterThanOrEqual(tSched)
    expect(r.t_headers_ms!).toBeGreaterThanOrEqual(r.t_sent_ms)
    expect(r.t_first_chunk_ms).toBe(r.t_first_token_ms)
    expect(r.ttft_ms!).toBeGreaterThanOrEqual(38)
    expect(r.ttft_ms).toBeCloseTo(r.t_first_token_ms! - r.t_sent_ms, 9)
    expect(r.ttft_from_schedule_ms).toBeCloseTo(r.t_first_token_ms! - tSched, 9)
    expect(r.ttfb_ms!).toBeLessThan(r.ttft_ms!)
    expect(r.itl_ms).toHaveLength(2)
    // Gaps are exact differences of token times; the server paced them 20 ms apart.
    expect(r.itl_ms![0] + r.itl_ms![1]).toBeCloseTo(r.t_last_token_ms! - r.t_first_token_ms!, 9)
    expect(r.t_last_token_ms!).toBeGreaterThanOrEqual(clock.fromNs(serverLastNs))
    expect(r.tpot_ms).toBeCloseTo((r.t_last_token_ms! - r.t_first_token_ms!) / 2, 9)
    expect(r.e2e_ms).toBeCloseTo(r.t_end_ms - r.t_sent_ms, 9)
    expect(r.t_end_ms).toBeGreaterThanOrEqual(r.t_last_token_ms!)
    expect(r).toMatchObject({ output_tokens: 3, output_tokens_source: 'usage', input_tokens: 5, input_tokens_source: 'usage', cached_tokens: 4 })
    expect(r.output_sha).toBe(sha('Hello big world'))
    expect(r.output_text).toBeUndefined()
    // Both clocks are CLOCK_MONOTONIC: the client sees the token after the server wrote it.
    expect(r.server_timing!.first_token_ms).toBeCloseTo(clock.fromNs(serverFirstNs), 6)
    // The error bound itself is a benchmark figure (npm run bench:client), not a unit-test timing.
    expect(r.server_timing!.first_token_ms!).toBeGreaterThan(r.t_sent_ms)
    expect(r.t_first_token_ms!).toBeGreaterThanOrEqual(r.server_timing!.first_token_ms!)
    expect(server.received[0].body).toMatchObject({ model: 'tiny', stream: true, stream_options: { include_usage: true }, prompt: 'Say hello' })
    expect(server.received[0].path).toBe('/v1/completions')
    expect(server.received[0].headers['x-request-id']).toBe('req-1')
  })

  test('a role-only first chat chunk sets the first chunk time but not the first token time', async () => {
    const { client, server } = await setup(async (_req, res) => {
      res.writeHead(200, sseHeaders)
      res.write(`data: ${JSON.stringify({ id: 'chat-1', choices: [{ delta: { role: 'assistant', content: '' } }] })}\n\n`)
      await sleep(30)
      res.write(`data: ${JSON.stringify({ id: 'chat-1', choices: [{ delta: { content: 'Hi' } }] })}\n\n`)
      res.write(': keep-alive\n\n')
      res.end('data: [DONE]\n\n')
    })
    const r = await client.send(makeRequest({ endpoint: 'chat', body: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 } }), ctx(clock.nowMs()))
    expect(r.ok).toBe(true)
    expect(server.received[0].path).toBe('/v1/chat/completions')
    expect(r.t_first_token_ms!).toBeGreaterThan(r.t_first_chunk_ms!)
    expect(r.ttfc_ms!).toBeLessThan(r.ttft_ms!)
    expect(r.itl_ms).toEqual([])
    expect(r.tpot_ms).toBeNull()
  })

  test('without usage the output is counted with the tokenizer and the record says so', async () => {
    const tok = getTokenizer('llama3')
    const { client } = await setup((_req, res) => {
      res.writeHead(200, sseHeaders)
      res.write(completionChunk('c', 'The quick brown'))
      res.write(completionChunk('c', ' fox jumps'))
      res.end('data: [DONE]\n\n')
    }, { tokenizer: tok })
    const r = await client.send(makeRequest({ meta: { keep_text: true, prompt_tokens_expected: 9 } }), ctx(clock.nowMs()))
    expect(r).toMatchObject({ ok: true, output_tokens: tok.count('The quick brown fox jumps'), output_tokens_source: 'tokenizer' })
    expect(r).toMatchObject({ input_tokens: 9, input_tokens_source: 'tokenizer', output_text: 'The quick brown fox jumps' })
    expect(r.tpot_ms).not.toBeNull()
  })

  test('HTTP 429 and 503 are classed http_4xx and http_5xx with the status and body in the message', async () => {
    let status = 429
    const { client } = await setup((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { message: `busy ${status}` } }))
    })
    const a = await client.send(makeRequest(), ctx(clock.nowMs()))
    status = 503
    const b = await client.send(makeRequest(), ctx(clock.nowMs()))
    expect(a).toMatchObject({ ok: false, error_class: 'http_4xx', http_status: 429, ttft_ms: null })
    expect(a.error_message).toContain('busy 429')
    expect(b).toMatchObject({ ok: false, error_class: 'http_5xx', http_status: 503 })
    expect(client.stats()).toMatchObject({ queued: 0, running: 0 })
  })

  test('an SSE event: error after tokens is a stream_error that keeps the timing seen so far', async () => {
    const { client } = await setup((_req, res) => {
      res.writeHead(200, sseHeaders)
      res.write(completionChunk('c', 'partial'))
      res.end('event: error\ndata: {"error":{"message":"KV offload failed"}}\n\n')
    })
    const r = await client.send(makeRequest(), ctx(clock.nowMs()))
    expect(r).toMatchObject({ ok: false, error_class: 'stream_error' })
    expect(r.error_message).toContain('KV offload failed')
    expect(r.t_first_token_ms).not.toBeNull()
  })

  test('error JSON in a data payload is a stream_error', async () => {
    const { client } = await setup((_req, res) => {
      res.writeHead(200, sseHeaders)
      res.end('data: {"error":{"message":"context too long"}}\n\ndata: [DONE]\n\n')
    })
    const r = await client.send(makeRequest(), ctx(clock.nowMs()))
    expect(r).toMatchObject({ ok: false, error_class: 'stream_error', ttft_ms: null })
    expect(r.error_message).toContain('context too long')
  })

  test('a JSON error body after HTTP 200 on a streaming request is a stream_error, whatever its content type', async () => {
    let ct = 'application/json'
    const { client } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': ct })
      res.end('{"error":{"message":"engine died"}}')
    })
    const a = await client.send(makeRequest(), ctx(clock.nowMs()))
    ct = 'text/event-stream'
    const b = await client.send(makeRequest(), ctx(clock.nowMs()))
    for (const r of [a, b]) {
      expect(r, r.error_message ?? '').toMatchObject({ ok: false, error_class: 'stream_error', http_status: 200 })
      expect(r.error_message).toContain('engine died')
    }
  })

  test('a stream that ends without [DONE] or is cut mid-chunk is truncated', async () => {
    let cut = false
    const { client } = await setup(async (_req, res) => {
      res.writeHead(200, sseHeaders)
      res.write(completionChunk('c', 'one'))
      if (cut) {
        await sleep(10)
        res.write('data: {"id":"c","cho')
        await sleep(10)
        res.socket?.destroy()
      } else res.end()
    })
    const a = await client.send(makeRequest(), ctx(clock.nowMs()))
    cut = true
    const b = await client.send(makeRequest(), ctx(clock.nowMs()))
    expect(a).toMatchObject({ ok: false, error_class: 'truncated' })
    expect(a.t_first_token_ms).not.toBeNull()
    expect(b).toMatchObject({ ok: false, error_class: 'truncated' })
  })

  test('headers and body timeouts are classed separately', async () => {
    let mode: 'headers' | 'body' = 'headers'
    const { client } = await setup(async (_req, res) => {
      if (mode === 'headers') {
        await sleep(2500)
        if (!res.destroyed) res.end()
        return
      }
      res.writeHead(200, sseHeaders)
      res.write(completionChunk('c', 'x'))
      await sleep(2500)
      if (!res.destroyed) res.end('data: [DONE]\n\n')
    }, { headersTimeoutMs: 200, bodyTimeoutMs: 200 })
    const a = await client.send(makeRequest(), ctx(clock.nowMs()))
    mode = 'body'
    const b = await client.send(makeRequest(), ctx(clock.nowMs()))
    expect(a).toMatchObject({ ok: false, error_class: 'timeout_headers', http_status: null })
    expect(b).toMatchObject({ ok: false, error_class: 'timeout_body', http_status: 200 })
    expect(b.t_first_token_ms).not.toBeNull()
    // undici arms these with its coarse (~0.5-1 s) fast timers; well before the server's 2.5 s.
    expect(a.e2e_ms).toBeLessThan(2000)
    expect(b.e2e_ms).toBeLessThan(2000)
  })

  test('a refused connection is classed connection and never throws', async () => {
    const s = await startFakeServer(() => {})
    const url = s.url
    await s.close()
    client = createStreamClient({ baseUrl: url, model: 'tiny', maxInFlight: 1, clock })
    const r = await client.send(makeRequest(), ctx(clock.nowMs()))
    expect(r).toMatchObject({ ok: false, error_class: 'connection', http_status: null, ttfb_ms: null })
    expect(r.error_message).toContain('ECONNREFUSED')
  })

  test('an SSE stream without a content-type is still parsed as SSE', async () => {
    const { client } = await setup((_req, res) => {
      res.writeHead(200, {})
      res.end(completionChunk('c', 'plain') + 'data: [DONE]\n\n')
    })
    const r = await client.send(makeRequest(), ctx(clock.nowMs()))
    expect(r, r.error_message ?? '').toMatchObject({ ok: true, output_sha: sha('plain') })
  })

  test('a non-streaming request has a ttfb but no ttft, and its usage and text are read from the JSON', async () => {
    const { client, server } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ id: 'cmpl-ns', choices: [{ text: 'done' }], usage: { prompt_tokens: 3, completion_tokens: 1 } }))
    })
    const r = await client.send(makeRequest({ stream: false }), ctx(clock.nowMs()))
    expect(r).toMatchObject({ ok: true, stream: false, ttft_ms: null, ttfc_ms: null, tpot_ms: null, output_tokens: 1, response_id: 'cmpl-ns' })
    expect(r.ttfb_ms).not.toBeNull()
    expect(r.itl_ms).toBeUndefined()
    expect(r.output_sha).toBe(sha('done'))
    expect(server.received[0].body.stream).toBe(false)
    expect(server.received[0].body.stream_options).toBeUndefined()
  })

  test('a 1 MB prompt arrives whole and its first token is timed from the send, not from serialization', async () => {
    const prompt = 'lorem ipsum '.repeat(90_000) // ~1 MB
    const { client, server } = await setup(async (_req, res) => {
      res.writeHead(200, sseHeaders)
      const first = process.hrtime.bigint()
      res.write(completionChunk('c', 'ok'))
      res.end(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, kvsim_timing: { received_ns: String(first), first_token_ns: String(first), last_token_ns: String(first) } } })}\n\ndata: [DONE]\n\n`)
    })
    const r = await client.send(makeRequest({ body: { prompt, max_tokens: 1 } }), ctx(clock.nowMs()))
    expect(r.ok).toBe(true)
    expect((server.received[0].body.prompt as string).length).toBe(prompt.length)
    expect(server.received[0].bytes).toBeGreaterThan(1_000_000)
    // The server wrote the token after it received the whole body, which happened after t_sent.
    expect(r.server_timing!.first_token_ms!).toBeGreaterThan(r.t_sent_ms)
    expect(r.t_first_token_ms!).toBeGreaterThanOrEqual(r.server_timing!.first_token_ms!)
    expect(r.ttft_ms!).toBeGreaterThan(r.server_timing!.first_token_ms! - r.t_sent_ms - 1e-6)
    expect(r.schedule_delay_ms).toBeGreaterThanOrEqual(0)
  })

  test('requests beyond maxInFlight queue in the pool and stats show it', async () => {
    const { client } = await setup(async (_req, res) => {
      res.writeHead(200, sseHeaders)
      await sleep(100)
      res.end(completionChunk('c', 'x') + 'data: [DONE]\n\n')
    }, { maxInFlight: 2 })
    const all = Array.from({ length: 5 }, (_, i) => client.send(makeRequest({ meta: { request_id: `r${i}` } }), ctx(clock.nowMs(), i)))
    await sleep(50)
    const s = client.stats()
    expect(s.running).toBe(2)
    expect(s.queued).toBe(3)
    const recs = await Promise.all(all)
    expect(recs.every((r) => r.ok)).toBe(true)
    expect(Math.max(...recs.map((r) => r.ttfb_ms!))).toBeGreaterThan(150)
  })

  test('an aborted request is classed client and keepItl=false omits the gaps', async () => {
    const ac = new AbortController()
    const { client } = await setup(async (_req, res) => {
      res.writeHead(200, sseHeaders)
      res.write(completionChunk('c', 'a'))
      res.write(completionChunk('c', 'b'))
      await sleep(500)
      if (!res.destroyed) res.end('data: [DONE]\n\n')
    }, { keepItl: false })
    setTimeout(() => ac.abort(), 100)
    const r = await client.send(makeRequest(), { ...ctx(clock.nowMs()), signal: ac.signal })
    expect(r).toMatchObject({ ok: false, error_class: 'client' })
    expect(r.itl_ms).toBeUndefined()
    expect(r.e2e_ms).toBeLessThan(450)
  })
})
