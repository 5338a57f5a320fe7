import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { describeNotReady, healthSaysReady, waitReady } from '../../../helpers/target/readiness'

// A server that behaves like Dynamo's frontend while a worker registers: /health answers 200 with
// status "unhealthy" and /v1/models is empty until `registerAfterMs`, and the completion may stall.
const startFake = async (o: { registerAfterMs: number; stall?: boolean; empty?: boolean; style?: 'dynamo' | 'http-status'; currentHealth?: boolean }) => {
  const t0 = Date.now()
  const registered = () => Date.now() - t0 >= o.registerAfterMs
  const server: Server = createServer((req, res) => {
    if (req.url === '/health') {
      if (o.style === 'http-status') {
        res.writeHead(registered() ? 200 : 503).end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      // Current Dynamo: 200 "healthy" with zero instances; older builds: 200 "unhealthy".
      res.end(JSON.stringify(registered() || o.currentHealth ? { status: 'healthy', endpoints: registered() ? ['x'] : [], instances: [] } : { status: 'unhealthy', message: 'No endpoints available', instances: [] }))
      return
    }
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ object: 'list', data: registered() ? [{ id: 'm' }] : [] }))
      return
    }
    if (req.url === '/v1/completions') {
      req.resume()
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      if (o.stall) return // headers sent, nothing streams: a wedged engine
      if (o.empty) {
        res.write('data: {"choices":[{"text":""}]}\n\n')
        res.end('data: [DONE]\n\n')
        return
      }
      res.write('data: {"choices":[{"text":"hi"}]}\n\n')
      res.end('data: [DONE]\n\n')
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

describe('readiness', () => {
  const servers: Server[] = []
  afterEach(() => {
    for (const s of servers.splice(0)) s.closeAllConnections(), s.close()
  })

  test('Dynamo-style health is liveness only: any 200 lets the check go on, 503 not_ready does not', () => {
    expect(healthSaysReady('dynamo', 200, '{"status":"unhealthy","message":"No endpoints available"}')).toBe(true)
    expect(healthSaysReady('dynamo', 200, '{"status":"healthy","endpoints":[]}')).toBe(true)
    expect(healthSaysReady('dynamo', 503, '{"status":"not_ready"}')).toBe(false)
    expect(healthSaysReady('dynamo', 200, '{"status":"draining"}')).toBe(false)
    expect(healthSaysReady('http-status', 503, '')).toBe(false)
    expect(healthSaysReady('http-status', 200, '')).toBe(true)
  })

  test('waiting rides out the unhealthy-with-200 window and finishes with a real streamed completion', async () => {
    const f = await startFake({ registerAfterMs: 600 })
    servers.push(f.server)
    const r = await waitReady({ baseUrl: f.url, healthStyle: 'dynamo', timeoutMs: 5000, pollMs: 50 })
    expect(r.ready).toBe(true)
    expect(r.models).toEqual(['m'])
    expect(r.probe.ok).toBe(true)
    expect(r.elapsedMs).toBeGreaterThanOrEqual(550)
  })

  test('current Dynamo health ("healthy" with zero workers) is not readiness: the wait goes on until a model is listed', async () => {
    const f = await startFake({ registerAfterMs: 600, currentHealth: true })
    servers.push(f.server)
    const r = await waitReady({ baseUrl: f.url, healthStyle: 'dynamo', timeoutMs: 5000, pollMs: 50 })
    expect(r.ready).toBe(true)
    expect(r.elapsedMs).toBeGreaterThanOrEqual(550)
  })

  test('a completion stream that ends without a single token is not ready', async () => {
    const f = await startFake({ registerAfterMs: 0, empty: true })
    servers.push(f.server)
    const r = await waitReady({ baseUrl: f.url, healthStyle: 'dynamo', timeoutMs: 400, pollMs: 50 })
    expect(r.ready).toBe(false)
    expect(r.probe.error).toBe('stream ended without a token (1 empty event)')
  })

  test('a stack whose health is 200 while nothing streams is reported as stalled, not ready', async () => {
    const f = await startFake({ registerAfterMs: 0, stall: true })
    servers.push(f.server)
    const r = await waitReady({ baseUrl: f.url, healthStyle: "dynamo", timeoutMs: 1500, pollMs: 50, stallMs: 300 })
    expect(r.ready).toBe(false)
    expect(r.probe.error).toMatch(/STALLED/)
    expect(describeNotReady(r)).toMatch(/probe completion failed: STALLED/)
  })

  test('a server that never registers a model times out with the reason', async () => {
    const f = await startFake({ registerAfterMs: 60_000, style: 'http-status' })
    servers.push(f.server)
    const r = await waitReady({ baseUrl: f.url, healthStyle: 'http-status', timeoutMs: 400, pollMs: 50 })
    expect(r.ready).toBe(false)
    expect(describeNotReady(r)).toMatch(/health not ready \(HTTP 503/)
  })
})
