import { describe, expect, it } from 'vitest'
import { bootstrapCi, bootstrapPercentileCis } from '../../../helpers/analysis/bootstrap'
import { percentile } from '../../../helpers/analysis/percentile'
import { seededRandom } from '../../../helpers/analysis/seeded-random'

const exponential = (rand: () => number, n: number, mean: number): number[] => Array.from({ length: n }, () => -Math.log(1 - rand()) * mean)

describe('bootstrap confidence intervals', () => {
  it('is reproducible from the seed and changes with it', () => {
    const xs = exponential(seededRandom(1), 500, 10)
    const a = bootstrapCi(xs, 95, { seed: 42, B: 200 })
    const b = bootstrapCi(xs, 95, { seed: 42, B: 200 })
    const c = bootstrapCi(xs, 95, { seed: 43, B: 200 })
    expect(a).toEqual(b)
    expect(c.lo === a.lo && c.hi === a.hi).toBe(false)
    expect(a.estimate).toBe(percentile(xs, 95))
    expect(a.lo! <= a.estimate! && a.estimate! <= a.hi!).toBe(true)
  })

  it('covers the true median of an exponential distribution in roughly 95 % of datasets', () => {
    // True median of Exp(mean 10) is 10·ln 2. Percentile-bootstrap coverage of a median at n = 200
    // is near nominal; 300 datasets give a binomial SD of ~1.3 %, so [0.88, 0.99] is a loose band.
    const rand = seededRandom(2024)
    const truth = 10 * Math.LN2
    let covered = 0
    const datasets = 300
    for (let d = 0; d < datasets; d++) {
      const ci = bootstrapCi(exponential(rand, 200, 10), 50, { seed: d + 1, B: 300 })
      if (ci.lo! <= truth && truth <= ci.hi!) covered++
    }
    expect(covered / datasets).toBeGreaterThan(0.88)
    expect(covered / datasets).toBeLessThan(0.99)
  })

  it('narrows with more data and gives p50 < p95 < p99 estimates', () => {
    const rand = seededRandom(9)
    const small = bootstrapPercentileCis(exponential(rand, 200, 10), { B: 300 })
    const large = bootstrapPercentileCis(exponential(rand, 20_000, 10), { B: 300 })
    expect(large.p99.hi! - large.p99.lo!).toBeLessThan(small.p99.hi! - small.p99.lo!)
    expect(large.p50.estimate! < large.p95.estimate! && large.p95.estimate! < large.p99.estimate!).toBe(true)
  })

  it('handles 10^5 samples with B = 1000 for p99', () => {
    const xs = exponential(seededRandom(5), 100_000, 10)
    const ci = bootstrapCi(xs, 99, { B: 1000, seed: 1 })
    // p99 of Exp(10) is 10·ln 100 ≈ 46.05; the CI of 10^5 samples is a few tenths wide around it.
    expect(ci.lo!).toBeLessThan(10 * Math.log(100) + 1)
    expect(ci.hi!).toBeGreaterThan(10 * Math.log(100) - 1)
    expect(ci.hi! - ci.lo!).toBeLessThan(2)
  })

  it('returns null bounds for no data and rejects a bad confidence', () => {
    expect(bootstrapCi([], 50).lo).toBeNull()
    expect(() => bootstrapCi([1, 2], 50, { confidence: 1.5 })).toThrow(/Expected confidence in \(0, 1\), got 1.5/)
  })
})
