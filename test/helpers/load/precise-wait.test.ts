import { describe, expect, test } from 'vitest'
import { createRunClock } from '../../../helpers/client/run-clock'
import { waitUntil } from '../../../helpers/load/precise-wait'

describe('precise-wait', () => {
  test('never wakes before the due time and reports how late it woke', async () => {
    const clock = createRunClock()
    for (const ahead of [0.05, 0.5, 1.5, 3, 7]) {
      const due = clock.nowMs() + ahead
      const late = await waitUntil(clock, due)
      const now = clock.nowMs()
      expect(now).toBeGreaterThanOrEqual(due)
      expect(late).toBeGreaterThanOrEqual(0)
      expect(late).toBeLessThanOrEqual(now - due)
    }
  })

  test('a due time in the past returns at once with its lateness', async () => {
    const clock = createRunClock()
    const late = await waitUntil(clock, clock.nowMs() - 10)
    expect(late).toBeGreaterThanOrEqual(10)
  })

  test('an abort ends a long wait early', async () => {
    const clock = createRunClock()
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 20)
    const t0 = clock.nowMs()
    await waitUntil(clock, t0 + 10_000, ac.signal)
    expect(clock.nowMs() - t0).toBeLessThan(1000)
  })
})
