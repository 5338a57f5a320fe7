import { describe, expect, test } from 'vitest'
import { prepareTraceRows } from '../../../helpers/trace/trace-rows'

const rows = [
  { timestamp: 0, input_length: 1000, output_length: 100, hash_ids: [1, 2] },
  { timestamp: 5, input_length: 5000, output_length: 100, hash_ids: [1, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
  { timestamp: 9, input_length: 2000, output_length: 100, hash_ids: [1, 2, 12, 13] },
]

describe('prepareTraceRows', () => {
  test('rows over the context limit are skipped and counted, at the replayed length', () => {
    const p = prepareTraceRows(rows, { lengthScale: 0.5, outputScale: 0.1, ceiling: (out) => 1500 - out, oversize: 'skip' })
    expect(p.rows.map((r) => r.timestamp)).toEqual([0, 9])
    expect(p).toMatchObject({ total: 3, skipped: 1, clipped: 0, oversizeExamples: [1], largestInput: 2500, ceilingAtLargest: 1490 })
  })

  test('clipping keeps the leading blocks up to the limit, so shared prefixes stay shared', () => {
    const p = prepareTraceRows(rows, { lengthScale: 0.5, outputScale: 0.1, ceiling: () => 1024, oversize: 'clip' })
    expect(p.clipped).toBe(1)
    expect(p.rows[1]).toEqual({ timestamp: 5, input_length: 2048, output_length: 100, hash_ids: [1, 3, 4, 5] })
  })

  test('a limit below the smallest prompt skips even when clipping', () => {
    const p = prepareTraceRows(rows, { lengthScale: 1, outputScale: 1, ceiling: () => 10, oversize: 'clip' })
    expect(p.rows).toEqual([])
    expect(p.skipped).toBe(3)
  })
})
