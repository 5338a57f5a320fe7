import { describe, expect, test } from 'vitest'
import { concurrencyAt, RampingConcurrencySpec, runRampingConcurrency } from '../../../helpers/load/ramping-concurrency'
import { countingStream, fakeHarness } from './fake-deps'

describe('ramping-concurrency', () => {
  test('the target follows the stages linearly from start_concurrency', () => {
    const spec = RampingConcurrencySpec.parse({ type: 'rampingConcurrency', start_concurrency: 0, stages: [{ target: 10, duration_s: 10 }, { target: 2, duration_s: 4 }] })
    expect([0, 5000, 9999, 10000, 12000, 14000, 99999].map((t) => concurrencyAt(spec, t))).toEqual([0, 5, 9, 10, 6, 2, 2])
    expect(RampingConcurrencySpec.parse({ type: 'rampingConcurrency', stages: [{ target: 1, duration_s: 1 }] }).start_concurrency).toBe(1)
  })

  test('in-flight requests rise to the target and fall back as the stages say', async () => {
    const h = fakeHarness(countingStream(), 20)
    const spec = RampingConcurrencySpec.parse({ type: 'rampingConcurrency', start_concurrency: 0, stages: [{ target: 4, duration_s: 0.4 }, { target: 4, duration_s: 0.2 }, { target: 0, duration_s: 0.4 }] })
    const res = await runRampingConcurrency(spec, h.deps)
    const rel = h.concurrency.map((c) => ({ t: c.t - res.t_start_ms, n: c.n }))
    expect(h.maxInFlight()).toBe(4)
    expect(Math.max(...rel.filter((c) => c.t < 150).map((c) => c.n))).toBeLessThanOrEqual(2)
    expect(Math.max(...rel.filter((c) => c.t > 900).map((c) => c.n), 0)).toBeLessThanOrEqual(2)
    expect(h.records.every((r) => r.t_scheduled_ms < res.t_start_ms + 1000)).toBe(true)
    expect(res.completed).toBe(res.sent)
  })
})
