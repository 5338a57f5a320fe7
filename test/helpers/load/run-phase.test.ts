import { afterEach, describe, expect, test } from 'vitest'
import { RequestRecord } from '../../../helpers/client/request-record'
import { createRunClock } from '../../../helpers/client/run-clock'
import { createStreamClient, type StreamClient } from '../../../helpers/client/stream-client'
import { ExecutorSpec } from '../../../helpers/load/executor-spec'
import { runPhase } from '../../../helpers/load/run-phase'
import type { Session, WorkItem, WorkResult } from '../../../helpers/workload/workload-types'
import { completionChunk, type FakeServer, sleep, sseHeaders, startFakeServer } from '../client/fake-openai-server'
import { countingStream, request } from './fake-deps'

const clock = createRunClock()
const context = { run_id: 'run-7', suite_id: 'h1', phase: 'steady', phase_kind: 'measure' as const, mode: 'B2', step: { concurrency: 4 }, repetition: 1 }

let server: FakeServer | null = null
let client: StreamClient | null = null
afterEach(async () => {
  await client?.close()
  await server?.close()
})

// Echo server: answers every prompt with "echo:<prompt>" after a short delay.
const startEcho = async (delayMs: number) => {
  server = await startFakeServer(async (_req, res, body) => {
    const prompt = JSON.parse(body.toString()).prompt as string
    res.writeHead(200, sseHeaders)
    await sleep(delayMs)
    res.write(completionChunk('c', 'echo:'))
    res.end(completionChunk('c', prompt) + 'data: [DONE]\n\n')
  })
  client = createStreamClient({ baseUrl: server.url, model: 'tiny', maxInFlight: 16, clock })
  return client
}

describe('run-phase', () => {
  test('an open-loop phase through the real client emits one valid record per arrival with the phase identity and unique seq', async () => {
    const c = await startEcho(10)
    // undici compiles its llhttp WASM on first use (~100 ms); a real run has a warmup phase for that.
    await c.send(request('warm'), { ...context, t_scheduled_ms: clock.nowMs(), seq: 0 })
    const records: RequestRecord[] = []
    const lines: string[] = []
    const res = await runPhase({
      executor: ExecutorSpec.parse({ type: 'arrivalRate', rate: 100, duration_s: 0.3, distribution: 'constant', max_in_flight: 1000 }),
      workload: countingStream(),
      client: c,
      clock,
      signal: new AbortController().signal,
      context,
      onRecord: (r) => records.push(r),
      progress: true,
      progressWrite: (l) => lines.push(l),
    })
    expect(res).toMatchObject({ sent: 30, completed: 30, errors: 0, dropped: 0, records_emitted: 30 })
    expect(records.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i))
    for (const r of records) {
      expect(RequestRecord.parse(r)).toEqual(r)
      expect(r).toMatchObject({ ...context, ok: true })
      expect(r.ttft_ms).toBeGreaterThan(5)
    }
    expect(lines.at(-1)).toMatch(/phase=steady .* done=30 errors=0 dropped=0 .*\(phase end\)$/)
  })

  test('a sessions phase feeds each answer into the next turn but keeps the text out of the record', async () => {
    const c = await startEcho(1)
    const prevs: (WorkResult | null)[] = []
    let turn = 0
    const session: Session = {
      id: 's0',
      nextTurn: (prev): WorkItem | null => {
        prevs.push(prev)
        if (turn >= 2) return null
        return { request: request(`s0-t${turn}`, { session_id: 's0', turn: turn++ }) }
      },
    }
    const records: RequestRecord[] = []
    const res = await runPhase({
      executor: ExecutorSpec.parse({ type: 'sessions', users: 1, think_time_ms: { mean: 5 } }),
      workload: { kind: 'sessions', source: { name: 'chat', sessions: () => [session] } },
      client: c,
      clock,
      signal: new AbortController().signal,
      context,
      onRecord: (r) => records.push(r),
    })
    expect(res.completed).toBe(2)
    expect(prevs[1]).toEqual({ ok: true, output_text: 'echo:s0-t0' })
    expect(prevs[2]).toEqual({ ok: true, output_text: 'echo:s0-t1' })
    expect(records.every((r) => r.output_text === undefined && r.output_sha !== null)).toBe(true)
  })

  test('an interrupt aborts in-flight requests through the client and the phase says interrupted', async () => {
    const c = await startEcho(5000)
    const ac = new AbortController()
    const records: RequestRecord[] = []
    setTimeout(() => ac.abort(), 150)
    const res = await runPhase({
      executor: ExecutorSpec.parse({ type: 'constantConcurrency', concurrency: 3, duration_s: 60 }),
      workload: countingStream(),
      client: c,
      clock,
      signal: ac.signal,
      context,
      onRecord: (r) => records.push(r),
    })
    expect(res).toMatchObject({ interrupted: true, sent: 3, completed: 3, errors: 3 })
    expect(records.every((r) => r.error_class === 'client')).toBe(true)
    expect(res.t_end_ms - res.t_start_ms).toBeLessThan(2000)
  })
})
