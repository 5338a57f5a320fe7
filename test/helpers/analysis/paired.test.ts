import { describe, expect, it } from 'vitest'
import { orderEffect, pairedStats, signTest, wilcoxonSignedRank, type Pair } from '../../../helpers/analysis/paired'

// Hollander & Wolfe (1973) p. 29, the depression-scale data of R's ?wilcox.test example:
// x = first visit, y = second visit. R: wilcox.test(x, y, paired = TRUE, alternative = "greater")
// gives V = 40, p = 0.01953, so the two-sided exact p is 0.0390625 (scipy.stats.wilcoxon agrees).
const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3]
const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
const depression: Pair[] = x.map((xi, i) => ({ a: y[i], b: xi }))

describe('sign test', () => {
  it('gives the exact two-sided binomial p on the Hollander-Wolfe data (7 of 9 positive)', () => {
    // 2 × (C(9,0) + C(9,1) + C(9,2)) / 2^9 = 2 × 46 / 512 = 0.1796875 (scipy binomtest(7, 9)).
    const s = signTest(depression.map((p) => p.b - p.a))
    expect(s.n_pos).toBe(7)
    expect(s.n_neg).toBe(2)
    expect(s.p_value).toBeCloseTo(0.1796875, 12)
  })

  it('drops zeros and returns null when every delta is zero', () => {
    expect(signTest([0, 0, 1]).n_zero).toBe(2)
    expect(signTest([0, 0]).p_value).toBeNull()
  })
})

describe('Wilcoxon signed-rank', () => {
  it('matches R on the Hollander-Wolfe example (exact)', () => {
    const w = wilcoxonSignedRank(depression.map((p) => p.b - p.a))
    expect(w.method).toBe('exact')
    expect(w.w_plus).toBe(40)
    expect(w.w_minus).toBe(5)
    expect(w.p_value).toBeCloseTo(0.0390625, 12)
  })

  it('agrees with brute-force enumeration of all sign flips when ranks are tied', () => {
    const d = [1, -1, 2, 2, -3, 4, 4, 4, -5, 6]
    const w = wilcoxonSignedRank(d)
    // Enumerate all 2^10 sign assignments of the same |d| ranks.
    const abs = d.map(Math.abs)
    const ranks = abs.map((a) => {
      const less = abs.filter((b) => b < a).length
      const eq = abs.filter((b) => b === a).length
      return less + (eq + 1) / 2
    })
    let le = 0
    let ge = 0
    for (let mask = 0; mask < 1 << d.length; mask++) {
      let s = 0
      for (let i = 0; i < d.length; i++) if (mask & (1 << i)) s += ranks[i]
      if (s <= w.w_plus + 1e-9) le++
      if (s >= w.w_plus - 1e-9) ge++
    }
    expect(w.p_value).toBeCloseTo(Math.min(1, (2 * Math.min(le, ge)) / 1024), 12)
  })

  it('uses the normal approximation with tie correction beyond n = 20 (scipy value)', () => {
    // scipy.stats.wilcoxon(d, zero_method='wilcox', correction=True, method='approx') on these 25
    // deltas (2 zeros dropped, 23 ranked): statistic min(W+, W−) = 33, p = 0.00143831557183666.
    const d = [1.5, -0.5, 2, 2, -1, 3, 0, 1.5, 2.5, -2, 4, 1, 1, 0.5, 3, -0.5, 2, 5, 1.5, -1.5, 2.5, 3.5, 0, 1, 2]
    const w = wilcoxonSignedRank(d)
    expect(w.method).toBe('normal')
    expect(w.n).toBe(23)
    expect(w.w_minus).toBe(33)
    expect(w.p_value!).toBeCloseTo(0.00143831557183666, 6)
  })
})

describe('order effect', () => {
  it('flags a planted order effect: AB pairs show a delta the BA pairs do not', () => {
    const pairs: Pair[] = [
      { a: 100, b: 90, order: 'AB' },
      { a: 100, b: 91, order: 'AB' },
      { a: 100, b: 89, order: 'AB' },
      { a: 100, b: 100, order: 'BA' },
      { a: 100, b: 101, order: 'BA' },
      { a: 100, b: 99, order: 'BA' },
    ]
    const o = orderEffect(pairs)
    expect(o.evaluated).toBe(true)
    expect(o.mean_ab_delta).toBe(-10)
    expect(o.mean_ba_delta).toBe(0)
    expect(o.pooled_sd).toBe(1)
    expect(o.effect).toBe(-10)
    expect(o.flagged).toBe(true)
  })

  it('does not flag balanced pairs and does not evaluate with fewer than 2 of each order', () => {
    const balanced: Pair[] = [
      { a: 100, b: 90, order: 'AB' },
      { a: 100, b: 92, order: 'AB' },
      { a: 100, b: 91, order: 'BA' },
      { a: 100, b: 90, order: 'BA' },
    ]
    expect(orderEffect(balanced).flagged).toBe(false)
    expect(orderEffect(balanced.slice(0, 3)).evaluated).toBe(false)
  })
})

describe('pairedStats', () => {
  it('reports B − A deltas, a t CI matching scipy, and warns for odd or fewer than 6 pairs', () => {
    // Deltas 3..8 (mean 5.5): scipy t.interval(0.95, 5, mean, sem) = (3.5366856930196757, 7.463314306980324).
    const pairs: Pair[] = [3, 4, 5, 6, 7, 8].map((d, i) => ({ a: 10, b: 10 + d, order: i % 2 ? 'BA' : 'AB' }))
    const s = pairedStats(pairs, { seed: 3, B: 500 })
    expect(s.deltas).toEqual([3, 4, 5, 6, 7, 8])
    expect(s.mean_delta).toBe(5.5)
    expect(s.t_ci.lo!).toBeCloseTo(3.5366856930196757, 6)
    expect(s.t_ci.hi!).toBeCloseTo(7.463314306980324, 6)
    expect(s.bootstrap_ci.lo! > 3 && s.bootstrap_ci.hi! < 8).toBe(true)
    expect(s.warnings).toEqual([])
    const five = pairedStats(pairs.slice(0, 5))
    expect(five.warnings.map((w) => w.code)).toEqual(['ODD_PAIR_COUNT', 'FEWER_THAN_6_PAIRS'])
  })

  it('names the pair in the error for a non-finite value', () => {
    expect(() => pairedStats([{ a: 1, b: Number.NaN, label: 'pair-3' }])).toThrow(/Expected finite a and b in pair pair-3, got a=1 b=NaN/)
  })
})
