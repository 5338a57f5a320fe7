import { describe, expect, it } from 'vitest'
import { excessOverIdlePct } from '../../../helpers/analysis/idle-baseline'

describe('excessOverIdlePct', () => {
  it('is relative to idle, with a 1 r/s floor for an idle disk', () => {
    expect(excessOverIdlePct(110, 100)).toBeCloseTo(10, 12)
    expect(excessOverIdlePct(0.5, 0)).toBe(50)
    expect(excessOverIdlePct(90, 100)).toBeCloseTo(-10, 12)
    expect(() => excessOverIdlePct(Number.NaN, 1)).toThrow(/Expected finite observed and idle/)
  })
})
