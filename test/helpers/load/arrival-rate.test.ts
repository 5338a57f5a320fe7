import { describe, expect, test } from 'vitest'
import { runArrivalRate } from '../../../helpers/load/arrival-rate'
import { ArrivalRateSpec } from '../../../helpers/load/arrival-rate'
import { countingStream, fakeHarness } from './fake-deps'

describe('arrival-rate', () => {
  test('sends on the precomputed schedule without waiting on completions (open loop)', async () => {
    // Each request takes 300 ms, far longer than the 5 ms between arrivals.
    const h = fakeHarness(countingStream(), 300)
    const res = await runArrivalRate(ArrivalRateSpec.parse({ type: 'arrivalRate', rate: 200, distribution: 'constant', duration_s: 0.5, max_in_flight: 1000 }), h.deps)
    expect(res).toMatchObject({ sent: 100, completed: 100, dropped: 0, records_emitted: 100 })
    const sched = h.records.map((r) => r.t_scheduled_ms).sort((a, b) => a - b)
    for (let i = 1; i < sched.length; i++) expect(sched[i] - sched[i - 1]).toBeCloseTo(5, 6)
    expect(h.maxInFlight()).toBeGreaterThan(50)
    // Every send happened at (not before) its scheduled instant.
    expect(h.records.every((r) => r.t_sent_ms >= r.t_scheduled_ms)).toBe(true)
  })

  test('arrivals beyond max_in_flight are dropped, counted, and recorded with error_class dropped', async () => {
    const h = fakeHarness(countingStream(), 1000)
    const res = await runArrivalRate(ArrivalRateSpec.parse({ type: 'arrivalRate', rate: 100, distribution: 'constant', duration_s: 0.2, max_in_flight: 5 }), h.deps)
    expect(res).toMatchObject({ sent: 5, completed: 5, dropped: 15, records_emitted: 20 })
    const dropped = h.records.filter((r) => r.error_class === 'dropped')
    expect(dropped).toHaveLength(15)
    expect(dropped.every((r) => !r.ok && r.ttft_ms === null && r.error_message!.includes('max_in_flight=5'))).toBe(true)
    expect(new Set(h.records.map((r) => r.request_id)).size).toBe(20)
  })

  test('late sends are counted from the records schedule delay', async () => {
    const h = fakeHarness(countingStream(), 1, { scheduleDelayMs: (seq) => (seq % 2 === 0 ? 5 : 0.1) })
    const res = await runArrivalRate(ArrivalRateSpec.parse({ type: 'arrivalRate', rate: 100, distribution: 'constant', duration_s: 0.1, max_in_flight: 10 }), h.deps)
    expect(res.sent).toBe(10)
    expect(res.late_sends).toBe(5)
  })

  test('time_unit_s scales the rate and the defaults are Poisson with seed 1', async () => {
    const spec = ArrivalRateSpec.parse({ type: 'arrivalRate', rate: 60, time_unit_s: 60, duration_s: 1, max_in_flight: 1 })
    expect(spec).toMatchObject({ distribution: 'poisson', seed: 1 })
    const h = fakeHarness(countingStream(), 1)
    const res = await runArrivalRate({ ...spec, distribution: 'constant' }, h.deps)
    expect(res.sent).toBe(1)
  })

  test('an abort stops the schedule early and marks the phase interrupted', async () => {
    const h = fakeHarness(countingStream(), 10)
    setTimeout(() => h.abort.abort(), 100)
    const res = await runArrivalRate(ArrivalRateSpec.parse({ type: 'arrivalRate', rate: 100, duration_s: 10, max_in_flight: 10 }), h.deps)
    expect(res.interrupted).toBe(true)
    expect(res.sent).toBeLessThan(100)
    expect(res.t_end_ms - res.t_start_ms).toBeLessThan(1000)
  })
})
