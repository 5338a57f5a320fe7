import { describe, expect, test } from 'vitest'
import type { PhaseOutcome } from '../../../helpers/suite/define-hypothesis'
import { counterRate, phaseQueueDepth, phaseReadAwaitMs, seriesField } from '../../../helpers/suite/phase-figures'

const outcome = (block: Record<string, number | null> | null, ms = 2000) =>
  ({ record: { deltas: { block_device: block }, t_start_ms: 1000, t_end_ms: 1000 + ms } }) as unknown as PhaseOutcome

describe('phase figures', () => {
  test('a counter rate is the per-second difference between rows, null across a reset or a gap', () => {
    const rows = [
      { t_ms: 0, values: { c: 10 } },
      { t_ms: 500, values: { c: 20 } },
      { t_ms: 1000, values: { c: 5 } },
      { t_ms: 1500, values: {} },
    ]
    expect(counterRate(rows, 'c')).toEqual([
      { t_ms: 500, value: 20 },
      { t_ms: 1000, value: null },
      { t_ms: 1500, value: null },
    ])
  })

  test('a series field keeps missing values as null, never zero', () => {
    expect(seriesField([{ t_ms: 1, r_await_ms: 2.5 }, { t_ms: 2 }], 'r_await_ms')).toEqual([
      { t_ms: 1, value: 2.5 },
      { t_ms: 2, value: null },
    ])
  })

  test('read await and queue depth follow iostat: ticks per read, weighted ticks per elapsed ms', () => {
    expect(phaseReadAwaitMs(outcome({ read_ios: 200, read_ticks_ms: 50 }))).toBe(0.25)
    expect(phaseReadAwaitMs(outcome({ read_ios: 0, read_ticks_ms: 0 }))).toBeNull()
    expect(phaseQueueDepth(outcome({ weighted_ticks_ms: 3000 }))).toBe(1.5)
    expect(phaseQueueDepth(outcome(null))).toBeNull()
  })
})
