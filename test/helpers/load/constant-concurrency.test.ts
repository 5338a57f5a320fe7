import { describe, expect, test } from 'vitest'
import { runConstantConcurrency } from '../../../helpers/load/constant-concurrency'
import { countingStream, fakeHarness } from './fake-deps'

describe('constant-concurrency', () => {
  test('keeps exactly `concurrency` requests in flight and stops after `iterations`', async () => {
    const h = fakeHarness(countingStream(), 20)
    const res = await runConstantConcurrency({ type: 'constantConcurrency', concurrency: 3, iterations: 10 }, h.deps)
    expect(res).toMatchObject({ sent: 10, completed: 10, errors: 0, dropped: 0, records_emitted: 10, interrupted: false })
    expect(h.maxInFlight()).toBe(3)
    expect(h.records).toHaveLength(10)
  })

  test('a slot schedules its next request when its previous one finished (closed loop)', async () => {
    const h = fakeHarness(countingStream(), 30)
    await runConstantConcurrency({ type: 'constantConcurrency', concurrency: 1, iterations: 4 }, h.deps)
    const r = h.records
    for (let i = 1; i < r.length; i++) {
      expect(r[i].t_scheduled_ms).toBeGreaterThanOrEqual(r[i - 1].t_end_ms)
      expect(r[i].t_scheduled_ms - r[i - 1].t_end_ms).toBeLessThan(r[i].t_sent_ms - r[i - 1].t_end_ms + 1e-9)
    }
  })

  test('no request is scheduled after duration_s, and a finite workload ends the phase early', async () => {
    const h = fakeHarness(countingStream(), 40)
    const res = await runConstantConcurrency({ type: 'constantConcurrency', concurrency: 2, duration_s: 0.2 }, h.deps)
    expect(h.records.every((r) => r.t_scheduled_ms < res.t_start_ms + 200)).toBe(true)
    expect(res.completed).toBeGreaterThanOrEqual(4)
    const g = fakeHarness(countingStream(5), 5)
    const res2 = await runConstantConcurrency({ type: 'constantConcurrency', concurrency: 4, duration_s: 10 }, g.deps)
    expect(res2.completed).toBe(5)
    expect(res2.t_end_ms - res2.t_start_ms).toBeLessThan(1000)
  })

  test('an aborted phase stops scheduling and reports interrupted', async () => {
    const h = fakeHarness(countingStream(), 20)
    setTimeout(() => h.abort.abort(), 100)
    const res = await runConstantConcurrency({ type: 'constantConcurrency', concurrency: 2, duration_s: 30 }, h.deps)
    expect(res.interrupted).toBe(true)
    expect(res.t_end_ms - res.t_start_ms).toBeLessThan(1000)
    expect(res.completed).toBe(res.sent)
  })

  test('a sessions workload is refused with a clear error', async () => {
    const h = fakeHarness({ kind: 'sessions', source: { name: 'x', sessions: () => [] } }, 1)
    await expect(runConstantConcurrency({ type: 'constantConcurrency', concurrency: 1 }, h.deps)).rejects.toThrow(/Expected a request-stream workload/)
  })
})
