import { describe, expect, it } from 'vitest'
import { aggregate } from '../../../helpers/gates/aggregate'

describe('aggregate', () => {
  const xs = [1, 2, 3, 4, 0]
  it('computes each k6 aggregation', () => {
    expect(aggregate({ kind: 'avg' }, xs)).toBe(2)
    expect(aggregate({ kind: 'min' }, xs)).toBe(0)
    expect(aggregate({ kind: 'max' }, xs)).toBe(4)
    expect(aggregate({ kind: 'med' }, xs)).toBe(2)
    expect(aggregate({ kind: 'p', p: 90 }, xs)).toBeCloseTo(3.6, 12)
    expect(aggregate({ kind: 'count' }, xs)).toBe(5)
    expect(aggregate({ kind: 'rate' }, xs)).toBe(0.8) // share of non-zero samples
    expect(aggregate({ kind: 'value' }, xs)).toBe(0) // last sample
  })

  it('returns null on no samples except count, which is 0', () => {
    expect(aggregate({ kind: 'avg' }, [])).toBeNull()
    expect(aggregate({ kind: 'count' }, [])).toBe(0)
  })
})
