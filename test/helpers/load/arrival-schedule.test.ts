import { describe, expect, test } from 'vitest'
import { buildArrivalSchedule } from '../../../helpers/load/arrival-schedule'
import { rateSegments } from '../../../helpers/load/ramping-arrival-rate'

const gaps = (s: Float64Array) => Array.from(s.subarray(1), (v, i) => v - s[i])
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length
const cov = (a: number[]) => {
  const m = mean(a)
  return Math.sqrt(mean(a.map((x) => (x - m) ** 2))) / m
}
const flat = (perS: number, s: number) => [{ from_per_s: perS, to_per_s: perS, duration_s: s }]

describe('arrival-schedule', () => {
  test('a constant 500/s schedule over 1 s has 500 arrivals exactly 2 ms apart starting at 0', () => {
    const s = buildArrivalSchedule({ segments: flat(500, 1), distribution: 'constant', seed: 1 })
    expect(s.length).toBe(500)
    expect(s[0]).toBe(0)
    for (const g of gaps(s)) expect(g).toBeCloseTo(2, 9)
  })

  test('a Poisson schedule is reproducible from its seed and different for another seed', () => {
    const a = buildArrivalSchedule({ segments: flat(100, 5), distribution: 'poisson', seed: 7 })
    const b = buildArrivalSchedule({ segments: flat(100, 5), distribution: 'poisson', seed: 7 })
    const c = buildArrivalSchedule({ segments: flat(100, 5), distribution: 'poisson', seed: 8 })
    expect(Array.from(a)).toEqual(Array.from(b))
    expect(Array.from(a)).not.toEqual(Array.from(c))
  })

  test('Poisson arrivals at 1000/s over 20 s have the right count, mean gap and exponential spread', () => {
    const s = buildArrivalSchedule({ segments: flat(1000, 20), distribution: 'poisson', seed: 3 })
    // Count ~ Poisson(20000): sd 141, 4 sd band.
    expect(s.length).toBeGreaterThan(20000 - 566)
    expect(s.length).toBeLessThan(20000 + 566)
    expect(mean(gaps(s))).toBeCloseTo(1, 1)
    expect(cov(gaps(s))).toBeGreaterThan(0.95)
    expect(cov(gaps(s))).toBeLessThan(1.05)
    expect(s[s.length - 1]).toBeLessThan(20000)
  })

  test('gamma arrivals with shape 0.25 are burstier: gap CoV near 1/sqrt(k) = 2 at the same mean rate', () => {
    const s = buildArrivalSchedule({ segments: flat(1000, 40), distribution: 'gamma', gamma_shape: 0.25, seed: 11 })
    expect(mean(gaps(s))).toBeGreaterThan(0.9)
    expect(mean(gaps(s))).toBeLessThan(1.1)
    expect(cov(gaps(s))).toBeGreaterThan(1.8)
    expect(cov(gaps(s))).toBeLessThan(2.2)
  })

  test('a linear ramp 0 to 100/s over 10 s puts 500 arrivals there, a quarter of them in the first half', () => {
    const s = buildArrivalSchedule({ segments: rateSegments(0, [{ target: 100, duration_s: 10 }], 1), distribution: 'constant', seed: 1 })
    expect(s.length).toBe(500)
    // Λ(t) = 5 t², so Λ(5 s) = 125.
    expect(Array.from(s).filter((t) => t < 5000).length).toBe(125)
    for (let k = 0; k < s.length; k++) expect(s[k]).toBeCloseTo(Math.sqrt(k / 5) * 1000, 6)
  })

  test('rate stages per time unit are converted to per-second rates', () => {
    expect(rateSegments(60, [{ target: 120, duration_s: 30 }, { target: 0, duration_s: 10 }], 60)).toEqual([
      { from_per_s: 1, to_per_s: 2, duration_s: 30 },
      { from_per_s: 2, to_per_s: 0, duration_s: 10 },
    ])
  })

  test('a ramp down and a zero-rate stage produce no arrivals past the end of the rate', () => {
    const s = buildArrivalSchedule({
      segments: [{ from_per_s: 10, to_per_s: 0, duration_s: 2 }, { from_per_s: 0, to_per_s: 0, duration_s: 5 }],
      distribution: 'constant',
      seed: 1,
    })
    expect(s.length).toBe(10)
    expect(s[s.length - 1]).toBeLessThan(2000)
  })

  test('an invalid gamma shape is rejected with the field named', () => {
    expect(() => buildArrivalSchedule({ segments: flat(1, 1), distribution: 'gamma', gamma_shape: 0, seed: 1 })).toThrow(/Expected gamma_shape > 0, got 0/)
  })
})
