import { describe, expect, it } from 'vitest'
import {
  percentile,
  percentileSorted,
  percentiles,
  quickselect,
  selectPercentile,
  sortedCopy,
  summarize,
} from '../../../helpers/analysis/percentile'
import { seededRandom } from '../../../helpers/analysis/seeded-random'

// Brute-force reference: the numpy 'linear' definition written out on a plain sorted JS array.
const reference = (values: number[], p: number): number => {
  const s = [...values].sort((a, b) => a - b)
  const h = ((s.length - 1) * p) / 100
  const lo = Math.floor(h)
  const hi = Math.min(lo + 1, s.length - 1)
  return s[lo] + (h - lo) * (s[hi] - s[lo])
}

describe('percentile', () => {
  it('matches hand-computed linear interpolation on 1..10', () => {
    const xs = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]
    // numpy.percentile(range(1, 11), [0, 50, 90, 95, 99, 100]) = 1, 5.5, 9.1, 9.55, 9.91, 10
    expect(percentile(xs, 0)).toBe(1)
    expect(percentile(xs, 50)).toBe(5.5)
    expect(percentile(xs, 90)).toBeCloseTo(9.1, 12)
    expect(percentile(xs, 95)).toBeCloseTo(9.55, 12)
    expect(percentile(xs, 99)).toBeCloseTo(9.91, 12)
    expect(percentile(xs, 100)).toBe(10)
  })

  it('returns the single value for one sample and null for none', () => {
    expect(percentile([42], 99)).toBe(42)
    expect(percentile([], 50)).toBeNull()
  })

  it('ignores NaN and rejects percentiles outside 0..100', () => {
    expect(percentile([1, Number.NaN, 3], 50)).toBe(2)
    expect(() => percentile([1], 101)).toThrow(/Expected a percentile in \[0, 100\], got 101/)
    expect(() => percentile([1], -1)).toThrow(/got -1/)
  })

  it('agrees with the brute-force reference on random data of many sizes', () => {
    const rand = seededRandom(7)
    for (const n of [2, 3, 17, 100, 1001]) {
      const xs = Array.from({ length: n }, () => Math.exp(rand() * 5))
      const s = sortedCopy(xs)
      for (const p of [0, 1, 25, 50, 90, 95, 99, 99.9, 100]) expect(percentileSorted(s, p)).toBeCloseTo(reference(xs, p), 9)
    }
  })

  it('is exact on 10^6 samples against the brute-force reference', () => {
    const rand = seededRandom(11)
    const n = 1_000_000
    const xs = new Array<number>(n)
    for (let i = 0; i < n; i++) xs[i] = -Math.log(1 - rand()) * 100
    const ps = [50, 90, 95, 99, 99.9, 99.99]
    const got = percentiles(xs, ps)
    const s = [...xs].sort((a, b) => a - b)
    ps.forEach((p, i) => {
      const h = ((n - 1) * p) / 100
      const lo = Math.floor(h)
      expect(got[i]).toBe(s[lo] + (h - lo) * (s[lo + 1] - s[lo]))
    })
  })

  it('summarize reports count, min, p50, p90, p95, p99, max and mean', () => {
    const xs = Array.from({ length: 101 }, (_, i) => i)
    expect(summarize(xs)).toEqual({ count: 101, min: 0, p50: 50, p90: 90, p95: 95, p99: 99, max: 100, mean: 50 })
    expect(summarize([])).toEqual({ count: 0, min: null, p50: null, p90: null, p95: null, p99: null, max: null, mean: null })
  })
})

describe('quickselect', () => {
  it('puts the k-th order statistic at k, including on sorted and constant input', () => {
    const rand = seededRandom(3)
    const inputs = [
      Float64Array.from({ length: 501 }, () => rand()),
      Float64Array.from({ length: 500 }, (_, i) => i),
      Float64Array.from({ length: 500 }, (_, i) => 500 - i),
      new Float64Array(64).fill(2),
    ]
    for (const input of inputs) {
      const sorted = Float64Array.from(input).sort()
      for (const k of [0, 1, input.length >> 1, input.length - 1]) {
        const buf = Float64Array.from(input)
        expect(quickselect(buf, buf.length, k)).toBe(sorted[k])
      }
    }
  })

  it('selectPercentile equals the sorted percentile', () => {
    const rand = seededRandom(5)
    const xs = Float64Array.from({ length: 2000 }, () => rand() * 1000)
    const s = Float64Array.from(xs).sort()
    for (const p of [0, 10, 50, 95, 99, 99.5, 100]) expect(selectPercentile(Float64Array.from(xs), xs.length, p)).toBe(percentileSorted(s, p))
  })
})
