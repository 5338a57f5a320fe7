import { describe, expect, it } from 'vitest'
import { normalCdf, studentTCdf, studentTQuantile } from '../../../helpers/analysis/distributions'

// Reference values: scipy.stats 1.17 — t.ppf(0.975, 9) = 2.262157162798205, t.ppf(0.975, 4) =
// 2.7764451051977934, t.ppf(0.95, 30) = 1.697260886593957, norm.cdf(1.96) = 0.9750021048517795.
describe('distribution functions', () => {
  it('Student t quantiles match published values', () => {
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262157162798205, 7)
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.7764451051977934, 7)
    expect(studentTQuantile(0.95, 30)).toBeCloseTo(1.697260886593957, 7)
    expect(studentTCdf(0, 5)).toBeCloseTo(0.5, 12)
  })

  it('the normal CDF matches the table value at 1.96 and is symmetric', () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 6)
    expect(normalCdf(-1.96) + normalCdf(1.96)).toBeCloseTo(1, 9)
  })
})
