import { describe, expect, test } from 'vitest'
import { ExecutorSpec, isOpenLoop, plannedDurationS } from '../../../helpers/load/executor-spec'

describe('executor-spec', () => {
  test('every executor type parses with its defaults, and open/closed loop and planned length follow the type', () => {
    const specs = [
      { type: 'constantConcurrency', concurrency: 8, duration_s: 60 },
      { type: 'rampingConcurrency', stages: [{ target: 8, duration_s: 30 }, { target: 16, duration_s: 30 }] },
      { type: 'arrivalRate', rate: 5, duration_s: 120, max_in_flight: 64 },
      { type: 'ramping', stages: [{ target: 10, duration_s: 20 }], max_in_flight: 64 },
      { type: 'fixedSchedule' },
      { type: 'sessions', users: 4, think_time_ms: { mean: 2000 } },
    ].map((s) => ExecutorSpec.parse(s))
    expect(specs.map(isOpenLoop)).toEqual([false, false, true, true, true, false])
    expect(specs.map(plannedDurationS)).toEqual([60, 60, 120, 20, null, null])
    expect(specs[2]).toMatchObject({ time_unit_s: 1, distribution: 'poisson', seed: 1 })
    expect(specs[3]).toMatchObject({ start_rate: 0, distribution: 'poisson' })
    expect(specs[5]).toMatchObject({ think_time_ms: { mean: 2000, stddev: 0 }, seed: 1 })
  })

  test('an unknown type or a missing field is rejected with the path named', () => {
    expect(ExecutorSpec.safeParse({ type: 'constantVus', vus: 1 }).success).toBe(false)
    const r = ExecutorSpec.safeParse({ type: 'arrivalRate', rate: 5, duration_s: 10 })
    expect(r.success).toBe(false)
    expect(JSON.stringify(r.error?.issues)).toContain('max_in_flight')
  })
})
