import { describe, expect, it } from 'vitest'
import { lagCorrelation, pearson, predictedDiskBytes, spearman } from '../../../helpers/analysis/correlation'
import { seededRandom } from '../../../helpers/analysis/seeded-random'

describe('pearson and spearman', () => {
  it('give 1 for a perfect linear relation and spearman 1 for any monotone one', () => {
    const x = [1, 2, 3, 4, 5, 6]
    expect(pearson(x, x.map((v) => 3 * v + 1))).toBeCloseTo(1, 12)
    expect(pearson(x, x.map((v) => -v))).toBeCloseTo(-1, 12)
    const cubic = x.map((v) => v ** 3)
    expect(pearson(x, cubic)!).toBeLessThan(1)
    expect(spearman(x, cubic)).toBeCloseTo(1, 12)
  })

  it('matches a hand-computed r and skips null pairs', () => {
    // x = 1,2,3 ; y = 2,1,4 : sxy = 2, sxx = 2, syy = 14/3 → r = 2 / sqrt(28/3) = 0.6546536707
    expect(pearson([1, 2, null, 3], [2, 1, 7, 4])).toBeCloseTo(0.6546536707, 9)
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNull()
    expect(pearson([1, 2], [1, 2])).toBeNull()
  })
})

describe('lagCorrelation', () => {
  it('recovers a planted lag: y follows x by 3 windows', () => {
    const rand = seededRandom(17)
    const x = Array.from({ length: 120 }, () => rand() * 10)
    const y = x.map((_, t) => (t >= 3 ? 2 * x[t - 3] + rand() * 0.5 : null))
    for (const method of ['pearson', 'spearman'] as const) {
      const r = lagCorrelation(x, y, { maxLag: 6, method })
      expect(r.best_lag).toBe(3)
      expect(r.r!).toBeGreaterThan(0.95)
      expect(r.by_lag).toHaveLength(13)
    }
  })
})

describe('predictedDiskBytes', () => {
  it('predicts writes from h2d + d2d offloads and reads from d2d onboards only, and compares with observed', () => {
    const p = predictedDiskBytes(
      { kvbm_offload_blocks_h2d: 10, kvbm_offload_blocks_d2d: 2, kvbm_onboard_blocks_d2d: 4, kvbm_onboard_blocks_h2d: 1000 },
      65536,
      { read_bytes: 4 * 65536 * 1.5, write_bytes: 12 * 65536 },
    )
    expect(p.predicted_write_bytes).toBe(12 * 65536)
    expect(p.predicted_read_bytes).toBe(4 * 65536) // the 1000 host onboards are not disk reads
    expect(p.read_ratio).toBe(1.5)
    expect(p.write_ratio).toBe(1)
  })

  it('leaves ratios null when a prediction is zero or a counter is missing', () => {
    const p = predictedDiskBytes({ kvbm_offload_blocks_h2d: 0 }, 4096, { read_bytes: 100, write_bytes: 100 })
    expect(p.predicted_write_bytes).toBe(0)
    expect(p.write_ratio).toBeNull()
    expect(p.predicted_read_bytes).toBeNull()
    expect(() => predictedDiskBytes({}, 0)).toThrow(/Expected blockBytes > 0, got 0/)
  })
})
