import { describe, expect, it } from 'vitest'
import { LogHistogram } from '../../../helpers/analysis/log-histogram'
import { percentileSorted, sortedCopy } from '../../../helpers/analysis/percentile'
import { seededRandom } from '../../../helpers/analysis/seeded-random'

describe('LogHistogram', () => {
  it('stays within 1 % relative error of the exact percentiles on a heavy-tailed stream', () => {
    const rand = seededRandom(99)
    const h = new LogHistogram()
    const xs = new Float64Array(200_000)
    for (let i = 0; i < xs.length; i++) {
      // Log-normal ITL-like gaps: median ~20 ms, long tail.
      const u1 = rand() || 1e-12
      const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rand())
      xs[i] = 20 * Math.exp(0.8 * z)
      h.add(xs[i])
    }
    const s = sortedCopy(xs)
    for (const p of [1, 10, 50, 90, 95, 99, 99.9]) {
      const exact = percentileSorted(s, p) as number
      const est = h.percentile(p) as number
      expect(Math.abs(est - exact) / exact).toBeLessThanOrEqual(0.01)
    }
    const sum = h.summary()
    expect(sum.count).toBe(xs.length)
    expect(sum.min).toBe(s[0])
    expect(sum.max).toBe(s[s.length - 1])
  })

  it('merging two halves gives the same percentiles as one histogram of everything', () => {
    const rand = seededRandom(1)
    const a = new LogHistogram()
    const b = new LogHistogram()
    const all = new LogHistogram()
    for (let i = 0; i < 10_000; i++) {
      const v = rand() * 100
      ;(i % 2 ? a : b).add(v)
      all.add(v)
    }
    a.merge(b)
    for (const p of [50, 99]) expect(a.percentile(p)).toBe(all.percentile(p))
    expect(a.count).toBe(10_000)
  })

  it('counts values at or below minValue as 0 and rejects negative samples', () => {
    const h = new LogHistogram()
    h.addAll([0, 0, 0, 10])
    expect(h.percentile(50)).toBe(0)
    expect(() => h.add(-1)).toThrow(/Expected a non-negative sample, got -1/)
    expect(new LogHistogram().percentile(50)).toBeNull()
  })
})
