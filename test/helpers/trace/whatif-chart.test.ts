import { describe, expect, test } from 'vitest'
import { capacityMarkers, renderHitCurveChart } from '../../../helpers/trace/whatif-chart'
import { syntheticTrace } from '../../../helpers/trace/synthetic-trace'
import { analyzeTrace } from '../../../helpers/trace/trace-whatif'

describe('what-if chart', () => {
  test('marks each tier at its capacity with the LRU ratio there, and skips absent tiers', () => {
    const w = analyzeTrace(syntheticTrace({ rows: 200, seed: 2 })).whatIf
    const m = capacityMarkers({ device_tokens: 2048, host_tokens: 0, disk_tokens: 65536 }, w)
    expect(m.map((x) => x.x)).toEqual([2048, 65536])
    expect(m[0].label).toMatch(/^device 2\.0k tok: LRU \d+\.\d %$/)
    expect(m[1].label).toMatch(/^disk 65\.5k tok: LRU \d+\.\d %$/)
    expect(capacityMarkers(null)).toEqual([])
    const png = renderHitCurveChart(w, { device_tokens: 2048, host_tokens: null, disk_tokens: 65536 }, 'test')
    expect(png.subarray(1, 4).toString()).toBe('PNG')
  })
})
