import { describe, expect, it } from 'vitest'
import { coefficientOfVariation, maxRelativeDeviation, repetitionStats } from '../../../helpers/analysis/repetition'

describe('repetition statistics', () => {
  it('computes CoV with the sample SD (n − 1) and the max relative deviation from the mean', () => {
    // mean 100, deviations −10, 0, +10 → sample SD = sqrt(200 / 2) = 10 → CoV 10 %; worst deviation 10 %.
    const s = repetitionStats([90, 100, 110])
    expect(s.mean).toBe(100)
    expect(s.sd).toBe(10)
    expect(s.cov_pct).toBe(10)
    expect(s.max_rel_dev_pct).toBe(10)
    expect(coefficientOfVariation([200, 204, 196])).toBeCloseTo(2, 12)
    expect(maxRelativeDeviation([200, 204, 196])).toBeCloseTo(2, 12)
  })

  it('returns null CoV for a single repetition or a zero mean instead of a fake 0', () => {
    expect(repetitionStats([5]).cov_pct).toBeNull()
    expect(repetitionStats([-1, 1]).cov_pct).toBeNull()
    expect(repetitionStats([]).n).toBe(0)
  })
})
