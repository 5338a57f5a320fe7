import { describe, expect, test } from 'vitest'
import { createRunClock } from '../../../helpers/client/run-clock'
import { droppedRecord } from '../../../helpers/load/dropped-record'
import { startProgress } from '../../../helpers/load/progress'
import { request } from './fake-deps'

describe('progress', () => {
  test('prints a heartbeat line with counts, in-flight and the rolling TTFT p99, and forgets old TTFTs', async () => {
    const clock = createRunClock()
    const lines: string[] = []
    const p = startProgress({ phase: 'steady', planned_s: 300, clock, inFlight: () => 7, intervalMs: 30, windowMs: 200, write: (l) => lines.push(l) })
    const ctx = { run_id: 'r', suite_id: 's', phase: 'steady', phase_kind: 'measure' as const, mode: 'B0', t_scheduled_ms: 0, seq: 0 }
    const ok = (ttft: number) => Object.assign(droppedRecord(request('x'), ctx, clock, ''), { ok: true, error_class: null, ttft_ms: ttft, t_end_ms: clock.nowMs() })
    for (let i = 1; i <= 100; i++) p.record(ok(i))
    p.record(Object.assign(droppedRecord(request('e'), ctx, clock, ''), { error_class: 'http_5xx' as const }))
    p.record(droppedRecord(request('d'), ctx, clock, 'full'))
    await new Promise((r) => setTimeout(r, 80))
    expect(lines.length).toBeGreaterThanOrEqual(1)
    expect(lines[0]).toMatch(/^\[tierbench\] phase=steady \d+\.\d\/300 s done=101 errors=1 dropped=1 in_flight=7 ttft_p99_0s=99\.0 ms eta=[45]m\d\ds$/)
    await new Promise((r) => setTimeout(r, 250))
    expect(p.line()).toContain('ttft_p99_0s=n/a')
    p.stop()
    const n = lines.length
    await new Promise((r) => setTimeout(r, 80))
    expect(lines.length).toBe(n)
  })

  test('keeps the rolling p99 over at most maxSamples recent TTFTs, so a line costs the same at any request rate', () => {
    const clock = createRunClock()
    const p = startProgress({ phase: 'fast', planned_s: null, clock, inFlight: () => 0, maxSamples: 100, write: () => {} })
    const ctx = { run_id: 'r', suite_id: 's', phase: 'fast', phase_kind: 'measure' as const, mode: 'B0', t_scheduled_ms: 0, seq: 0 }
    const ok = (ttft: number) => Object.assign(droppedRecord(request('x'), ctx, clock, ''), { ok: true, error_class: null, ttft_ms: ttft, t_end_ms: clock.nowMs() })
    // 1,000 slow TTFTs, then the 100 most recent are 1..100 ms: only those count.
    for (let i = 0; i < 1000; i++) p.record(ok(5000))
    for (let i = 1; i <= 100; i++) p.record(ok(i))
    expect(p.line()).toContain('done=1100')
    expect(p.line()).toContain('ttft_p99_30s=99.0 ms')
    p.stop()
  })

  test('estimates the time left from the request rate when only the request count is planned', () => {
    let now = 0
    const clock = { ...createRunClock(), nowMs: () => now }
    const p = startProgress({ phase: 'iter', planned_s: null, planned_requests: 100, clock, inFlight: () => 0, intervalMs: 60_000, write: () => {} })
    const ctx = { run_id: 'r', suite_id: 's', phase: 'iter', phase_kind: 'measure' as const, mode: 'B0', t_scheduled_ms: 0, seq: 0 }
    expect(p.line()).toMatch(/eta=\?$/)
    now = 10_000
    for (let i = 0; i < 25; i++) p.record(Object.assign(droppedRecord(request('x'), ctx, clock, ''), { ok: true, error_class: null, ttft_ms: 5, t_end_ms: now }))
    // 25 requests in 10 s, 75 left: 30 s.
    expect(p.line()).toMatch(/eta=0m30s$/)
    p.stop()
  })
})
