import { describe, expect, it } from 'vitest'
import { compare, parseExpr } from '../../../helpers/gates/parse-expr'

describe('parseExpr (k6 threshold grammar)', () => {
  it('parses every aggregation and operator', () => {
    expect(parseExpr('p(99)<2000')).toEqual({ aggregation: { kind: 'p', p: 99 }, op: '<', threshold: 2000, text: 'p(99)<2000' })
    expect(parseExpr(' p( 99.9 ) <= 1.5e3 ')).toMatchObject({ aggregation: { kind: 'p', p: 99.9 }, op: '<=', threshold: 1500 })
    for (const agg of ['avg', 'min', 'max', 'med', 'count', 'rate', 'value'])
      expect(parseExpr(`${agg}>=0.01`).aggregation).toEqual({ kind: agg })
    for (const op of ['<', '<=', '>', '>=', '==', '!='] as const) expect(parseExpr(`value${op}-3`).op).toBe(op)
    expect(parseExpr('value!=-3').threshold).toBe(-3)
  })

  it('says what it expected and what it got', () => {
    expect(() => parseExpr('mean<5')).toThrow('Expected an aggregation (avg|min|max|med|p(N)|count|rate|value) at the start of "mean<5", got "mean<5"')
    expect(() => parseExpr('p(101)<5')).toThrow('Expected a percentile between 0 and 100 in p(N) of "p(101)<5", got "101"')
    expect(() => parseExpr('p(x)<5')).toThrow(/got "x"/)
    expect(() => parseExpr('avg=>5')).toThrow('Expected an operator (< <= > >= == !=) after "avg" in "avg=>5", got "=>5"')
    expect(() => parseExpr('avg<five')).toThrow('Expected a number after "<" in "avg<five", got "five"')
    expect(() => parseExpr('avg<')).toThrow(/Expected a number after "<"/)
  })
})

describe('compare', () => {
  it('applies each operator', () => {
    expect(compare(1, '<', 2)).toBe(true)
    expect(compare(2, '<', 2)).toBe(false)
    expect(compare(2, '<=', 2)).toBe(true)
    expect(compare(3, '>', 2)).toBe(true)
    expect(compare(2, '>=', 3)).toBe(false)
    expect(compare(2, '==', 2)).toBe(true)
    expect(compare(2, '!=', 2)).toBe(false)
  })
})
