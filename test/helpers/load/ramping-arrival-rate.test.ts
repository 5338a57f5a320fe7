import { describe, expect, test } from 'vitest'
import { RampingArrivalRateSpec, runRampingArrivalRate } from '../../../helpers/load/ramping-arrival-rate'
import { countingStream, fakeHarness } from './fake-deps'

describe('ramping-arrival-rate', () => {
  test('a 0 to 200/s ramp over 1 s sends 100 requests, three times as many in the second half', async () => {
    const h = fakeHarness(countingStream(), 5)
    const spec = RampingArrivalRateSpec.parse({ type: 'ramping', stages: [{ target: 200, duration_s: 1 }], distribution: 'constant', max_in_flight: 100 })
    const res = await runRampingArrivalRate(spec, h.deps)
    expect(res.sent).toBe(100)
    const rel = h.records.map((r) => r.t_scheduled_ms - res.t_start_ms)
    expect(rel.filter((t) => t < 500).length).toBe(25)
    expect(rel.filter((t) => t >= 500).length).toBe(75)
  })
})
