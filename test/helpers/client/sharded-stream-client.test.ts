import { afterEach, describe, expect, test } from 'vitest'
import { RequestRecord } from '../../../helpers/client/request-record'
import { createRunClock } from '../../../helpers/client/run-clock'
import { createShardedStreamClient } from '../../../helpers/client/sharded-stream-client'
import type { StreamClient } from '../../../helpers/client/stream-client'
import { completionChunk, ctx, type FakeServer, makeRequest, sleep, sseHeaders, startFakeServer } from './fake-openai-server'

let server: FakeServer | null = null
let client: StreamClient | null = null
afterEach(async () => {
  await client?.close()
  await server?.close()
})

describe('sharded-stream-client', () => {
  test('requests spread over worker shards come back as valid records on the same run clock', async () => {
    const clock = createRunClock()
    server = await startFakeServer(async (_req, res) => {
      res.writeHead(200, sseHeaders)
      await sleep(50)
      res.write(completionChunk('c', 'hi'))
      res.end('data: [DONE]\n\n')
    })
    client = await createShardedStreamClient({ baseUrl: server.url, model: 'tiny', maxInFlight: 4, shards: 2, clock })
    const t0 = clock.nowMs()
    const sends = Array.from({ length: 4 }, (_, i) => client!.send(makeRequest({ meta: { request_id: `s${i}` } }), ctx(t0, i)))
    expect(client.stats()).toEqual({ queued: 0, pending: 0, running: 4, connected: 4 })
    const recs = await Promise.all(sends)
    for (const r of recs) {
      expect(RequestRecord.parse(r)).toEqual(r)
      expect(r.ok).toBe(true)
      // Stamped in the worker with the same origin: after the schedule, before now, TTFT >= server delay.
      expect(r.t_sent_ms).toBeGreaterThanOrEqual(t0)
      expect(r.t_end_ms).toBeLessThanOrEqual(clock.nowMs())
      expect(r.ttft_ms!).toBeGreaterThanOrEqual(49)
    }
    expect(new Set(server.received.map((x) => x.headers['x-request-id'])).size).toBe(4)
  })

  test('an abort reaches the shard and the record is classed client', async () => {
    const clock = createRunClock()
    server = await startFakeServer(async (_req, res) => {
      res.writeHead(200, sseHeaders)
      await sleep(3000)
      if (!res.destroyed) res.end('data: [DONE]\n\n')
    })
    client = await createShardedStreamClient({ baseUrl: server.url, model: 'tiny', maxInFlight: 2, shards: 2, clock })
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 100)
    const r = await client.send(makeRequest(), { ...ctx(clock.nowMs()), signal: ac.signal })
    expect(r).toMatchObject({ ok: false, error_class: 'client' })
    expect(r.e2e_ms).toBeLessThan(2500)
  })

  test("shardStats reports each shard's own GC and loop-delay figures", async () => {
    const clock = createRunClock()
    server = await startFakeServer(async (_req, res) => {
      res.writeHead(200, sseHeaders)
      res.write(completionChunk('c', 'hi'))
      res.end('data: [DONE]\n\n')
    })
    const sharded = await createShardedStreamClient({ baseUrl: server.url, model: 'tiny', maxInFlight: 4, shards: 3, clock })
    client = sharded
    await Promise.all(Array.from({ length: 6 }, (_, i) => sharded.send(makeRequest({ meta: { request_id: `g${i}` } }), ctx(clock.nowMs(), i))))
    const stats = await sharded.shardStats()
    expect(stats).toHaveLength(3)
    for (const s of stats) {
      expect(s.gc_ms).toBeGreaterThanOrEqual(0)
      expect(s.gc_max_ms).toBeLessThanOrEqual(s.gc_ms)
      expect(Number.isInteger(s.gc_count)).toBe(true)
      expect(Number.isFinite(s.loop_delay_p99_ms)).toBe(true)
    }
  })
})
