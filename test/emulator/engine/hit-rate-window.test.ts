import { describe, expect, it } from 'vitest'
import { HitRateWindow } from '../../../emulator/engine/hit-rate-window'

describe('HitRateWindow', () => {
  it('divides blocks hit by blocks queried over the last N requests only', () => {
    const w = new HitRateWindow(2)
    w.record(10, 10, 0)
    expect(w.hostHitRate).toBe(1)
    w.record(10, 0, 5)
    expect(w.hostHitRate).toBe(0.5)
    expect(w.diskHitRate).toBe(0.25)
    // The first request leaves the window.
    w.record(10, 0, 0)
    expect(w.hostHitRate).toBe(0)
    expect(w.diskHitRate).toBe(0.25)
  })

  it('reports 0 when nothing was queried', () => {
    const w = new HitRateWindow(5)
    w.record(0, 0, 0)
    expect(w.hostHitRate).toBe(0)
    expect(w.diskHitRate).toBe(0)
  })
})
