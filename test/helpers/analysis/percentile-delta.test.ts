import { describe, expect, test } from 'vitest'
import { percentileDeltaCi } from '../../../helpers/analysis/percentile-delta'
import { seededRandom } from '../../../helpers/analysis/seeded-random'

const sample = (n: number, base: number, spread: number, seed: number) => {
  const r = seededRandom(seed)
  return Array.from({ length: n }, () => base + spread * r())
}

describe('percentileDeltaCi', () => {
  test('a clearly slower compared sample gives a CI above zero around the true p99 difference', () => {
    const ci = percentileDeltaCi(sample(400, 100, 20, 1), sample(400, 200, 20, 2))
    expect(ci.delta).toBeGreaterThan(95)
    expect(ci.delta).toBeLessThan(105)
    expect(ci.lo!).toBeGreaterThan(0)
    expect(ci.lo!).toBeLessThanOrEqual(ci.delta!)
    expect(ci.hi!).toBeGreaterThanOrEqual(ci.delta!)
    expect(ci.excludes_zero).toBe(true)
  })

  test('two samples of the same distribution give a CI that straddles zero', () => {
    const ci = percentileDeltaCi(sample(300, 100, 50, 3), sample(300, 100, 50, 4))
    expect(ci.lo!).toBeLessThan(0)
    expect(ci.hi!).toBeGreaterThan(0)
    expect(ci.excludes_zero).toBe(false)
  })

  test('is reproducible for a seed, and has no CI below two samples a side', () => {
    const a = sample(50, 10, 5, 5)
    const b = sample(50, 12, 5, 6)
    expect(percentileDeltaCi(a, b, { seed: 9 })).toEqual(percentileDeltaCi(a, b, { seed: 9 }))
    const tiny = percentileDeltaCi([1], [2, 3])
    expect(tiny).toMatchObject({ lo: null, hi: null, excludes_zero: null, delta: expect.any(Number) })
    expect(percentileDeltaCi([], [1, 2]).delta).toBeNull()
  })
})
