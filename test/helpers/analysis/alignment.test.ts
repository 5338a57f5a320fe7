import { describe, expect, it } from 'vitest'
import { alignedPct } from '../../../helpers/analysis/alignment'

describe('alignedPct', () => {
  it('counts samples with a reference sample within one cadence', () => {
    // Telemetry every 200 ms from 0 to 1000, then a gap; requests at 50, 450, 1150 (aligned) and 1500 (not).
    const tele = [0, 200, 400, 600, 800, 1000]
    const r = alignedPct([50, 450, 1150, 1500], tele, 200)
    expect(r.aligned).toBe(3)
    expect(r.aligned_pct).toBe(75)
    expect(alignedPct([], tele, 200).aligned_pct).toBeNull()
    expect(() => alignedPct([1], tele, 0)).toThrow(/Expected cadence_ms > 0, got 0/)
  })
})
