import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnKvsim, type KvsimProcess } from './spawn-kvsim'
import { getText, request, sample } from './sse-request'

// 1,000 concurrent SSE streams against one real kvsim process: all complete with [DONE], the server
// stays responsive meanwhile, and a client that disconnects frees its slot.

let k: KvsimProcess
beforeAll(async () => {
  k = await spawnKvsim(['--time-scale', '0.01'], {})
})
afterAll(async () => {
  expect(await k.stop()).toBe(0)
})

const stream = (agent: http.Agent, i: number, maxTokens: number): Promise<{ tokens: number; done: boolean }> =>
  new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'kvsim/tiny', prompt: `stream ${i} says hello`, max_tokens: maxTokens, ignore_eos: true, stream: true })
    const req = http.request(`${k.info.url}/v1/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let raw = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (raw += c))
      res.on('end', () => resolve({ tokens: raw.split('"finish_reason":null').length - 1, done: raw.endsWith('data: [DONE]\n\n') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })

describe('concurrency', () => {
  it('completes 1,000 concurrent streams while /health stays responsive', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1000 })
    let finished = 0
    const all = Promise.all(Array.from({ length: 1000 }, (_, i) => stream(agent, i, 32).finally(() => finished++)))
    // Responsive = answers while the streams are still in flight (speed is the bench's job). Poll
    // from the start instead of sleeping a fixed time: on a quiet machine 1,000 streams at time
    // scale 0.01 can all finish within a few hundred ms.
    let during = ''
    let health = { status: 0, text: '' }
    for (let i = 0; i < 400 && finished < 1000; i++) {
      const m = (await getText(k.info.metricsUrl)).text
      if ((sample(m, 'dynamo_frontend_inflight_requests') ?? 0) > 0) {
        health = await getText(`${k.info.url}/health`)
        during = m
        break
      }
      await new Promise((r) => setTimeout(r, 5))
    }
    const results = await all
    agent.destroy()
    expect(health.status).toBe(200)
    expect(JSON.parse(health.text).status).toBe('healthy')
    expect(sample(during, 'dynamo_frontend_inflight_requests')).toBeGreaterThan(0)
    expect(results.filter((r) => r.done)).toHaveLength(1000)
    expect(results.every((r) => r.tokens === 32)).toBe(true)
    const metrics = (await getText(k.info.metricsUrl)).text
    expect(metrics).toMatch(/requests_total\{endpoint="completions",error_type="",model="kvsim\/tiny",request_type="stream",status="success"\} (\d{4,})/)
    expect(sample(metrics, 'dynamo_frontend_inflight_requests')).toBe(0)
  })

  it('cancels engine work and counts a disconnected client when the client goes away', async () => {
    const before = sample((await getText(k.info.metricsUrl)).text, 'dynamo_frontend_disconnected_clients')!
    await new Promise<void>((resolve) => {
      const req = http.request(`${k.info.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.once('data', () => {
          req.destroy()
          resolve()
        })
      })
      req.on('error', () => {})
      req.end(JSON.stringify({ model: 'kvsim/tiny', prompt: 'long one', max_tokens: 100000, ignore_eos: true, stream: true }))
    })
    await new Promise((r) => setTimeout(r, 100))
    const metrics = (await getText(k.info.metricsUrl)).text
    expect(sample(metrics, 'dynamo_frontend_disconnected_clients')).toBe(before + 1)
    expect(sample(metrics, 'dynamo_frontend_inflight_requests')).toBe(0)
    expect(sample(metrics, 'kvsim_running_requests')).toBe(0)
    const dbg = await request(k.info.url, 'GET', '/debug/lateness')
    expect(dbg.json!.count).toBeGreaterThan(32_000)
  })
})
