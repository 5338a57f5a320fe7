import { describe, expect, it } from 'vitest'
import { firstKnee, uWork, type SweepStep } from '../../../helpers/analysis/knee'

const sweep = (pairs: [number, number, number][]): SweepStep[] => pairs.map(([x, p50, p99]) => ({ x, p50, p99 }))

describe('uWork (v3.0 definition)', () => {
  it('finds the knee at the first of two consecutive steps with p99 > 2 x p50 and puts U_work one step below', () => {
    const steps = sweep([
      [1, 100, 150],
      [2, 100, 160],
      [4, 100, 210], // one step over 2x alone is not a knee
      [8, 100, 190],
      [16, 100, 250], // knee: this and the next step exceed 2x
      [32, 100, 400],
      [64, 100, 900],
    ])
    const r = uWork(steps)
    expect(r.status).toBe('knee')
    expect(r.knee_x).toBe(16)
    expect(r.u_work_x).toBe(8)
    expect(r.ratios[2]).toBeCloseTo(2.1, 12)
  })

  it('sorts the sweep ascending before looking for the knee', () => {
    const r = uWork(sweep([[32, 10, 50], [4, 10, 15], [16, 10, 30], [8, 10, 12]]))
    expect(r.knee_x).toBe(16)
    expect(r.u_work_x).toBe(8)
  })

  it('reports "no knee within the sweep" explicitly, with the largest step as a lower bound', () => {
    const r = uWork(sweep([[1, 10, 12], [2, 10, 15], [4, 10, 25]])) // only the last step exceeds 2x
    expect(r.status).toBe('no_knee')
    expect(r.knee_x).toBeNull()
    expect(r.u_work_x).toBe(4)
    expect(r.message).toMatch(/no knee within the sweep/)
  })

  it('reports a knee at the first step with no U_work inside the sweep', () => {
    const r = uWork(sweep([[1, 10, 30], [2, 10, 40], [4, 10, 50]]))
    expect(r.status).toBe('knee_at_first_step')
    expect(r.u_work_x).toBeNull()
    expect(r.message).toMatch(/extend it downwards/)
  })

  it('treats a step with missing percentiles as breaking the consecutive run', () => {
    const r = uWork([{ x: 1, p50: 10, p99: 30 }, { x: 2, p50: null, p99: null }, { x: 4, p50: 10, p99: 30 }])
    expect(r.status).toBe('no_knee')
    expect(uWork([]).status).toBe('empty')
  })
})

describe('firstKnee', () => {
  it('returns the first index of a run of `consecutive` matches', () => {
    expect(firstKnee([1, 5, 1, 5, 5, 5], (v) => v > 3, 2)).toBe(3)
    expect(firstKnee([1, 5, 1], (v) => v > 3)).toBe(1)
    expect(firstKnee([1, 2], (v) => v > 3)).toBeNull()
    expect(() => firstKnee([1], () => true, 0)).toThrow(/Expected consecutive >= 1, got 0/)
  })
})
