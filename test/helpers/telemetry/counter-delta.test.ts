import { describe, expect, it } from 'vitest'
import { counterDelta, snapshotDeltas } from '../../../helpers/telemetry/counter-delta'

describe('counter deltas', () => {
  it('subtracts start from end for a growing counter', () => {
    expect(counterDelta(10, 25)).toEqual({ delta: 15, reset: false })
  })

  it('treats a counter that went down as a reset: the delta is the new value, flagged', () => {
    expect(counterDelta(1000, 40)).toEqual({ delta: 40, reset: true })
  })

  it('keeps a missing or NaN side as null, never 0', () => {
    expect(counterDelta(null, 5).delta).toBeNull()
    expect(counterDelta(5, undefined).delta).toBeNull()
    expect(counterDelta(Number.NaN, 5).delta).toBeNull()
  })

  it('diffs whole snapshots and lists the reset keys', () => {
    const r = snapshotDeltas({ a: 1, b: 100, c: null }, { a: 4, b: 3, c: 7, d: 1 })
    expect(r.deltas).toEqual({ a: 3, b: 3, c: null, d: null })
    expect(r.resets).toEqual(['b'])
    expect(snapshotDeltas(null, { a: 1 }).deltas).toBeNull()
  })
})
