import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { B2_ENV, spawnKvsim, type KvsimProcess } from './spawn-kvsim'
import { completion, getText, request, sample, streamCompletion } from './sse-request'

// Dynamo frontend semantics of a real kvsim process: routes, SSE, usage, timing truth, metrics,
// bad input and the server-side faults.

let k: KvsimProcess
let url: string
const setFaults = (spec: string) => request(url, 'POST', '/admin/faults', undefined, { rawBody: spec, headers: { 'content-type': 'text/plain' } })

beforeAll(async () => {
  k = await spawnKvsim([], B2_ENV)
  url = k.info.url
})
afterAll(async () => {
  expect(await k.stop()).toBe(0)
})
afterEach(async () => {
  await setFaults('')
})

describe('completions', () => {
  it('streams text_completion chunks, a usage chunk with timing truth, then [DONE]', async () => {
    const before = process.hrtime.bigint()
    const r = await streamCompletion(url, { prompt: 'Tell me about storage tiers.', max_tokens: 12, ignore_eos: true })
    const after = process.hrtime.bigint()
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toContain('text/event-stream')
    expect(r.done).toBe(true)
    const tokenChunks = r.chunks.filter((c) => c.choices?.length && c.choices[0].finish_reason === null)
    expect(tokenChunks.length).toBe(12)
    expect(tokenChunks[0].object).toBe('text_completion')
    expect(r.text.length).toBeGreaterThan(0)
    expect(r.usage).toMatchObject({ completion_tokens: 12, prompt_tokens: expect.any(Number), prompt_tokens_details: { cached_tokens: expect.any(Number) } })
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + 12)
    // Server timestamps are on this host's CLOCK_MONOTONIC, inside the client's window, in order.
    const t = r.timing!
    const [rec, first, last] = [BigInt(t.received_ns), BigInt(t.first_token_ns), BigInt(t.last_token_ns)]
    expect(rec > before && rec <= first && first <= last && last < after).toBe(true)
    expect(r.headers['x-request-id']).toBe(tokenChunks[0].id)
    const dbg = await request(url, 'GET', `/debug/requests/${tokenChunks[0].id}`)
    expect(dbg.json).toMatchObject({ status: 'success', received_ns: t.received_ns, first_token_ns: t.first_token_ns, completion_tokens: 12 })
  })

  it('answers non-streaming requests with one text_completion object', async () => {
    const r = await completion(url, { prompt: 'Hello', max_tokens: 5, ignore_eos: true })
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ object: 'text_completion', choices: [{ index: 0, finish_reason: 'length' }], usage: { completion_tokens: 5 } })
    expect(r.json!.choices[0].text.length).toBeGreaterThan(0)
    expect(r.json!.kvsim_timing.received_ns).toMatch(/^\d+$/)
  })

  it('counts Llama-3 special-token strings in a completions prompt as single tokens', async () => {
    const plain = await completion(url, { prompt: 'Hi there', max_tokens: 1 })
    const templated = await completion(url, { prompt: '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>', max_tokens: 1 })
    // 4 special tokens + "user" + "\n\n" = 6 more tokens.
    expect(templated.json!.usage.prompt_tokens - plain.json!.usage.prompt_tokens).toBe(6)
  })

  it('returns the same text for the same prompt at temperature 0', async () => {
    const a = await completion(url, { prompt: 'Determinism check', max_tokens: 10, ignore_eos: true, temperature: 0 })
    const b = await completion(url, { prompt: 'Determinism check', max_tokens: 10, ignore_eos: true, temperature: 0 })
    expect(a.json!.choices[0].text).toBe(b.json!.choices[0].text)
  })
})

describe('chat completions', () => {
  const messages = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'What is a KV cache?' },
  ]

  it('streams chat.completion.chunk deltas with the assistant role first', async () => {
    const r = await request(url, 'POST', '/v1/chat/completions', { model: 'kvsim/tiny', messages, max_tokens: 6, ignore_eos: true, stream: true, stream_options: { include_usage: true } })
    expect(r.status).toBe(200)
    expect(r.done).toBe(true)
    const deltas = r.chunks.filter((c) => c.choices?.length)
    expect(deltas[0].object).toBe('chat.completion.chunk')
    expect(deltas[0].choices[0].delta.role).toBe('assistant')
    expect(deltas.at(-1)!.choices[0].finish_reason).toBe('length')
    expect(r.usage!.completion_tokens).toBe(6)
    expect(r.timing!.first_token_ns).toMatch(/^\d+$/)
  })

  it('answers non-streaming chat with a message and counts the Llama-3 template tokens', async () => {
    const r = await request(url, 'POST', '/v1/chat/completions', { model: 'kvsim/tiny', messages, max_tokens: 4 })
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant' } }] })
    const asCompletion = await completion(url, {
      prompt: '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is a KV cache?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
      max_tokens: 1,
    })
    expect(r.json!.usage.prompt_tokens).toBe(asCompletion.json!.usage.prompt_tokens)
  })
})

describe('needle', () => {
  it('finds the planted code word in completions and chat prompts so intact KV answers with it', async () => {
    const c = await completion(url, { prompt: 'Context. The secret code word is "ORCHID". More context. What is the code word?', max_tokens: 4 })
    expect(c.json!.choices[0].text.startsWith('ORCHID')).toBe(true)
    const chat = await request(url, 'POST', '/v1/chat/completions', {
      model: 'kvsim/tiny', max_tokens: 4, messages: [{ role: 'user', content: 'The secret code word is "TULIP". What is it?' }],
    })
    expect(chat.json!.choices[0].message.content.startsWith('TULIP')).toBe(true)
    const none = await completion(url, { prompt: 'No code word here. What is the code word?', max_tokens: 4 })
    expect(none.json!.choices[0].text.startsWith('ORCHID')).toBe(false)
  })
})

describe('health, models and metrics', () => {
  it('reports healthy with endpoints and lists the model', async () => {
    const h = JSON.parse((await getText(`${url}/health`)).text)
    expect(h.status).toBe('healthy')
    expect(h.endpoints.length).toBeGreaterThan(0)
    const m = JSON.parse((await getText(`${url}/v1/models`)).text)
    expect(m.data.map((d: { id: string }) => d.id)).toEqual(['kvsim/tiny'])
    expect((await getText(`${url}/live`)).status).toBe(200)
  })

  it('exposes the dynamo_frontend families with the real label sets', async () => {
    await streamCompletion(url, { prompt: 'metrics please', max_tokens: 3 })
    const text = (await getText(`${url}/metrics`)).text
    for (const family of ['requests_total', 'inflight_requests', 'queued_requests', 'disconnected_clients', 'output_tokens_total',
      'model_total_kv_blocks', 'model_max_num_seqs', 'model_max_num_batched_tokens', 'model_context_length', 'model_kv_cache_block_size'])
      expect(text).toContain(`# TYPE dynamo_frontend_${family} `)
    for (const h of ['time_to_first_token_seconds', 'inter_token_latency_seconds', 'request_duration_seconds', 'input_sequence_tokens', 'output_sequence_tokens', 'cached_tokens']) {
      expect(text).toContain(`# TYPE dynamo_frontend_${h} histogram`)
      expect(text).toContain(`dynamo_frontend_${h}_bucket{model="kvsim/tiny",le="+Inf"}`)
    }
    expect(text).toContain('dynamo_frontend_time_to_first_token_seconds_bucket{model="kvsim/tiny",le="0.0022"}')
    expect(text).toMatch(/dynamo_frontend_requests_total\{endpoint="completions",error_type="",model="kvsim\/tiny",request_type="stream",status="success"\} [1-9]/)
    // Families of current Dynamo that older parsers did not know.
    expect(text).toMatch(/^dynamo_frontend_requests_started_total\{model="kvsim\/tiny"\} [1-9]/m)
    expect(text).toMatch(/^dynamo_frontend_active_requests\{model="kvsim\/tiny"\} 0$/m)
    expect(sample(text, 'dynamo_frontend_model_kv_cache_block_size')).toBe(32)
    expect(sample(text, 'kvsim_emulated')).toBe(1)
  })

  it('serves only the kvbm_* families on the KVBM port, without labels', async () => {
    const text = (await getText(k.info.kvbmMetricsUrl!)).text
    const names = text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(' ')[0])
    for (const n of ['kvbm_offload_blocks_d2h', 'kvbm_offload_blocks_h2d', 'kvbm_offload_blocks_d2d', 'kvbm_onboard_blocks_h2d', 'kvbm_onboard_blocks_d2d',
      'kvbm_matched_tokens', 'kvbm_host_cache_hit_rate', 'kvbm_disk_cache_hit_rate', 'kvbm_object_cache_hit_rate'])
      expect(names).toContain(n)
    for (const n of names) expect(n).toMatch(/^kvbm_[a-z0-9_]+$/)
  })
})

describe('bad input', () => {
  const cases: [string, unknown, number, RegExp, string | null][] = [
    ['max_tokens 0', { model: 'kvsim/tiny', prompt: 'a', max_tokens: 0 }, 400, /Expected max_tokens to be a positive integer, got 0/, 'max_tokens'],
    ['negative temperature', { model: 'kvsim/tiny', prompt: 'a', temperature: -1 }, 400, /Expected temperature/, 'temperature'],
    ['string max_tokens', { model: 'kvsim/tiny', prompt: 'a', max_tokens: '5' }, 400, /Expected max_tokens/, 'max_tokens'],
    ['prompt and messages', { model: 'kvsim/tiny', prompt: 'a', messages: [{ role: 'user', content: 'a' }] }, 400, /Expected messages to be absent/, 'messages'],
    ['neither prompt nor messages', { model: 'kvsim/tiny' }, 400, /Expected prompt/, 'prompt'],
    ['missing model', { prompt: 'a' }, 400, /Expected model/, 'model'],
    ['unknown model', { model: 'other/model', prompt: 'a' }, 404, /Expected model to be "kvsim\/tiny"/, 'model'],
    ['bad stop', { model: 'kvsim/tiny', prompt: 'a', stop: [1] }, 400, /Expected stop/, 'stop'],
  ]
  it.each(cases)('answers %s with an OpenAI error naming the field', async (_name, body, status, message, param) => {
    const r = await request(url, 'POST', '/v1/completions', body)
    expect(r.status).toBe(status)
    expect(r.json!.error).toMatchObject({ type: 'invalid_request_error', param })
    expect(r.json!.error.message).toMatch(message)
  })

  it('answers malformed JSON with 400', async () => {
    const r = await request(url, 'POST', '/v1/chat/completions', undefined, { rawBody: '{"model": ' })
    expect(r.status).toBe(400)
    expect(r.json!.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' })
    expect(r.json!.error.message).toMatch(/^Expected a JSON request body, got invalid JSON/)
  })

  it('answers a prompt over the max input with 400 naming the limit and the count', async () => {
    const r = await completion(url, { prompt: 'hello '.repeat(9000) })
    expect(r.status).toBe(400)
    expect(r.json!.error.message).toMatch(/at most 8192 tokens .* got 900\d tokens/)
    expect(r.json!.error.code).toBe('context_length_exceeded')
  })

  it('accepts a 200k-token-sized body but answers a body over 16 MiB with 413', async () => {
    const big = await completion(url, { prompt: 'x '.repeat(400_000) })
    expect(big.status).toBe(400) // fits the body limit; rejected only for exceeding the tiny max input
    const huge = await request(url, 'POST', '/v1/completions', undefined, { rawBody: Buffer.alloc(17 * 1024 * 1024, 0x20) })
    expect([413, 0]).toContain(huge.status)
    if (huge.status === 413) expect(huge.json!.error.code).toBe('request_too_large')
    expect((await getText(`${url}/health`)).status).toBe(200)
  })

  it('survives a client that disconnects in the middle of its request body', async () => {
    const { request: rawRequest } = await import('node:http')
    await new Promise<void>((resolve) => {
      const req = rawRequest(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100000' } })
      req.on('error', () => resolve())
      req.write('{"model": "kvsim/tiny", "prompt": "half')
      setTimeout(() => {
        req.destroy()
        resolve()
      }, 50)
    })
    const r = await completion(url, { prompt: 'still here', max_tokens: 2 })
    expect(r.status).toBe(200)
  })

  it('answers unknown routes with 404 and wrong methods with 405', async () => {
    expect((await request(url, 'GET', '/v2/nothing')).status).toBe(404)
    const r = await request(url, 'GET', '/v1/completions')
    expect(r.status).toBe(405)
    expect(r.headers.allow).toBe('POST')
    expect((await request(url, 'DELETE', '/health')).status).toBe(405)
  })
})

describe('server-side faults', () => {
  it('reads and replaces faults at /admin/faults and rejects a bad spec naming the token', async () => {
    const set = await setFaults('http_5xx:0.5,stall:0.25')
    expect(set.json).toMatchObject({ spec: 'stall:0.25,http_5xx:0.5' })
    expect((await request(url, 'GET', '/admin/faults')).json!.spec).toBe('stall:0.25,http_5xx:0.5')
    const bad = await setFaults('stall:0.1,explode')
    expect(bad.status).toBe(400)
    expect(bad.json!.error.param).toBe('explode')
    expect((await request(url, 'GET', '/admin/faults')).json!.spec).toBe('stall:0.25,http_5xx:0.5')
  })

  it('drop_worker leaves health 200 "healthy" with no instances (current Dynamo), models empty and completions 503', async () => {
    await setFaults('drop_worker')
    const health = await getText(`${url}/health`)
    expect(health.status).toBe(200)
    expect(JSON.parse(health.text)).toEqual({ status: 'healthy', endpoints: [], instances: [] })
    expect(JSON.parse((await getText(`${url}/v1/models`)).text).data).toEqual([])
    const r = await completion(url, { prompt: 'a' })
    expect(r.status).toBe(503)
    expect(r.json!.error.message).toMatch(/No endpoints available/)
    await setFaults('')
    expect(JSON.parse((await getText(`${url}/health`)).text).status).toBe('healthy')
  })

  it('http_5xx answers that fraction with 500/503 error objects', async () => {
    await setFaults('http_5xx:1')
    const statuses = await Promise.all([1, 2, 3, 4].map(() => completion(url, { prompt: 'a', max_tokens: 1 })))
    for (const r of statuses) {
      expect([500, 503]).toContain(r.status)
      expect(r.json!.error.code).toBe('injected_http_5xx')
    }
    expect(new Set(statuses.map((r) => r.status)).size).toBe(2)
  })

  it('cut_stream destroys the connection mid-stream without [DONE]', async () => {
    await setFaults('cut_stream:1')
    const r = await streamCompletion(url, { prompt: 'cut me', max_tokens: 10, ignore_eos: true })
    expect(r.status).toBe(200)
    expect(r.aborted).toBe(true)
    expect(r.done).toBe(false)
    expect(r.chunks.length).toBeGreaterThan(0)
    expect(r.chunks.length).toBeLessThan(10)
  })

  it('stall admits a request that never yields a token', async () => {
    await setFaults('stall:1')
    const ac = new AbortController()
    const res = await fetch(`${url}/v1/completions`, {
      method: 'POST', signal: ac.signal, headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'kvsim/tiny', prompt: 'stall', max_tokens: 4, stream: true }),
    })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    const got = await Promise.race([reader.read().then(() => 'data'), new Promise((r) => setTimeout(() => r('nothing'), 500))])
    expect(got).toBe('nothing')
    ac.abort()
    await setFaults('')
    // The abandoned stream counts as a disconnected client.
    await new Promise((r) => setTimeout(r, 100))
    expect(sample((await getText(`${url}/metrics`)).text, 'dynamo_frontend_disconnected_clients')).toBeGreaterThanOrEqual(1)
  })

  it('no_kvbm_metrics closes the KVBM port and clearing it reopens the same URL', async () => {
    const kvbmUrl = k.info.kvbmMetricsUrl!
    await setFaults('no_kvbm_metrics')
    await expect(fetch(kvbmUrl)).rejects.toThrow()
    await setFaults('')
    await new Promise((r) => setTimeout(r, 50))
    expect((await getText(kvbmUrl)).text).toContain('kvbm_matched_tokens')
  })

  it('unregister_on_oversize drops the worker after an over-limit prompt', async () => {
    await setFaults('unregister_on_oversize')
    expect((await completion(url, { prompt: 'fine', max_tokens: 1 })).status).toBe(200)
    expect((await completion(url, { prompt: 'big '.repeat(9000) })).status).toBe(400)
    expect(JSON.parse((await getText(`${url}/v1/models`)).text).data).toEqual([])
    expect((await completion(url, { prompt: 'fine', max_tokens: 1 })).status).toBe(503)
  })
})
