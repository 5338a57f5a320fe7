import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { closedBeforeResponse } from '../../../helpers/client/connection-retry'
import type { RequestRecord } from '../../../helpers/client/request-record'
import { createRunClock } from '../../../helpers/client/run-clock'
import { createStreamClient, type StreamClient } from '../../../helpers/client/stream-client'
import { createLlamacppTarget } from '../../../helpers/target/llamacpp-target'
import type { Target, TargetInfo } from '../../../helpers/target/target'
import { completionChunk, ctx, type FakeServer, makeRequest, sseHeaders, startFakeServer } from './fake-openai-server'
import { llamaServerEnv, realServerTitle } from '../real-server/llama-server-env'

const clock = createRunClock(process.hrtime.bigint())

describe('closedBeforeResponse', () => {
  const closed = { http_status: null, t_headers_ms: null, error: { error_class: 'connection', message: 'UND_ERR_SOCKET: other side closed' } }
  test('a socket closed before any response byte may be sent again', () => {
    expect(closedBeforeResponse(closed)).toBe(true)
  })
  test('a request that got headers, a refused connection or a timeout is never retried', () => {
    expect(closedBeforeResponse({ ...closed, http_status: 200, t_headers_ms: 5 })).toBe(false)
    expect(closedBeforeResponse({ ...closed, error: { error_class: 'connection', message: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1' } })).toBe(false)
    expect(closedBeforeResponse({ ...closed, error: { error_class: 'timeout_headers', message: 'UND_ERR_HEADERS_TIMEOUT' } })).toBe(false)
    expect(closedBeforeResponse({ ...closed, error: null })).toBe(false)
  })
})

describe('stream client retry on a server that drops the socket', () => {
  let server: FakeServer | null = null
  let client: StreamClient | null = null
  afterEach(async () => {
    await client?.close()
    await server?.close()
  })

  test('a socket destroyed before the response is sent once more on a fresh connection and marked retried', async () => {
    let n = 0
    server = await startFakeServer(async (req, res) => {
      if (n++ === 0) {
        req.socket.destroy()
        return
      }
      res.writeHead(200, sseHeaders)
      res.write(completionChunk('c1', 'hi'))
      res.end('data: [DONE]\n\n')
    })
    client = createStreamClient({ baseUrl: server.url, model: 'tiny', maxInFlight: 1, clock })
    const r = await client.send(makeRequest(), ctx(clock.nowMs()))
    expect(r.ok).toBe(true)
    expect(r.retried_after).toMatch(/other side closed|ECONNRESET|UND_ERR_SOCKET/)
    expect(server.received.length).toBe(2)
  })

  test('a socket dropped mid-stream is a truncated record, not retried', async () => {
    server = await startFakeServer(async (req, res) => {
      res.writeHead(200, sseHeaders)
      res.write(completionChunk('c1', 'hi'))
      setTimeout(() => req.socket.destroy(), 20)
    })
    client = createStreamClient({ baseUrl: server.url, model: 'tiny', maxInFlight: 1, clock })
    const r = await client.send(makeRequest(), ctx(clock.nowMs()))
    expect(r.ok).toBe(false)
    expect(r.error_class).toBe('truncated')
    expect(r.retried_after).toBeUndefined()
    expect(server.received.length).toBe(1)
  })
})

// llama-server closes the connection after every streamed response: back-to-back requests on a
// pooled client used to fail 8-37 % of the time with "other side closed".
const env = llamaServerEnv()
describe.skipIf(!env)(realServerTitle('stream client against a real llama-server', env), () => {
  const root = mkdtempSync(join(tmpdir(), 'tb-retry-'))
  let target: Target
  let info: TargetInfo
  beforeAll(async () => {
    target = createLlamacppTarget({ binary: env!.binary, modelPath: env!.model, logsDir: join(root, 'logs'), ctxSize: 4096 })
    info = await target.applyMode({ id: 'B0' })
  }, 120_000)
  afterAll(async () => {
    await target?.stop()
    rmSync(root, { recursive: true, force: true })
  })

  const burst = async (keepAlive: boolean, concurrency: number, perWorker: number): Promise<RequestRecord[]> => {
    const c = createStreamClient({ baseUrl: info.baseUrl, model: info.model, maxInFlight: concurrency, clock, keepAlive })
    const out: RequestRecord[] = []
    try {
      await Promise.all(
        Array.from({ length: concurrency }, async (_, w) => {
          for (let i = 0; i < perWorker; i++)
            out.push(await c.send(makeRequest({ body: { prompt: `Worker ${w} request ${i}: say hello`, max_tokens: 4 } }), ctx(clock.nowMs(), w * 1000 + i)))
        }),
      )
    } finally {
      await c.close()
    }
    return out
  }

  for (const concurrency of [1, 4, 16])
    test(`back-to-back streamed requests at concurrency ${concurrency} on a keep-alive pool end with 0 connection errors`, async () => {
      const records = await burst(true, concurrency, concurrency === 16 ? 3 : 20)
      const errors = records.filter((r) => !r.ok)
      expect(errors.map((r) => `${r.error_class}: ${r.error_message}`)).toEqual([])
      // The server drops reused sockets at random (a few per burst); the retries keep errors at 0.
      console.info(`llama-server c${concurrency}: ${records.length} requests, ${records.filter((r) => r.retried_after).length} retried after a dropped socket`)
    }, 120_000)

  test('with keep-alive off nothing needs a retry', async () => {
    const records = await burst(false, 4, 6)
    expect(records.filter((r) => !r.ok)).toEqual([])
    expect(records.filter((r) => r.retried_after).length).toBe(0)
  }, 120_000)
})
