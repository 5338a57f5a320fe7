import { describe, expect, test } from 'vitest'
import { FixedScheduleSpec, runFixedSchedule } from '../../../helpers/load/fixed-schedule'
import { countingStream, fakeHarness } from './fake-deps'

describe('fixed-schedule', () => {
  test('each item is scheduled at its trace time divided by speed', async () => {
    const at = [0, 100, 300, 301]
    const h = fakeHarness(countingStream(4, (i) => at[i]), 5)
    const res = await runFixedSchedule(FixedScheduleSpec.parse({ type: 'fixedSchedule', speed: 2 }), h.deps)
    expect(res.sent).toBe(4)
    const rel = h.records.map((r) => r.t_scheduled_ms - res.t_start_ms).sort((a, b) => a - b)
    expect(rel[0]).toBeCloseTo(0, 0)
    for (let i = 1; i < 4; i++) expect(rel[i] - rel[0]).toBeCloseTo(at[i] / 2, 6)
    expect(FixedScheduleSpec.parse({ type: 'fixedSchedule' })).toEqual({ type: 'fixedSchedule', speed: 1, max_in_flight: 1024 })
  })

  test('an item without at_ms is rejected with the request named', async () => {
    const h = fakeHarness(countingStream(1), 5)
    await expect(runFixedSchedule(FixedScheduleSpec.parse({ type: 'fixedSchedule' }), h.deps)).rejects.toThrow(/Expected at_ms on every fixedSchedule item, got undefined for request r0/)
  })
})
