import { describe, expect, it } from 'vitest'
import { renderKvbmMetrics } from '../../../emulator/server/kvbm-metrics'

const counters = { offload_blocks_d2h: 7, offload_blocks_h2d: 3, offload_blocks_d2d: 0, onboard_blocks_h2d: 2, onboard_blocks_d2d: 5, matched_tokens: 224 }

describe('renderKvbmMetrics', () => {
  const text = renderKvbmMetrics(counters, { hostHitRate: 0.25, diskHitRate: 0.5 })
  const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))

  it('exposes every KVBM family without labels and without a _total suffix', () => {
    for (const s of samples) expect(s).toMatch(/^kvbm_[a-z0-9_]+ [0-9.]+$/)
    expect(text).not.toContain('_total')
    expect(samples.map((s) => s.split(' ')[0])).toEqual([
      'kvbm_offload_blocks_d2h', 'kvbm_offload_blocks_h2d', 'kvbm_offload_blocks_d2d', 'kvbm_offload_blocks_d2o',
      'kvbm_onboard_blocks_h2d', 'kvbm_onboard_blocks_d2d', 'kvbm_onboard_blocks_o2d', 'kvbm_offload_bytes_object',
      'kvbm_onboard_bytes_object', 'kvbm_matched_tokens', 'kvbm_host_cache_hit_rate', 'kvbm_disk_cache_hit_rate',
      'kvbm_object_cache_hit_rate',
    ])
  })

  it('carries the engine counter values and the hit-rate gauges', () => {
    expect(samples).toContain('kvbm_offload_blocks_d2h 7')
    expect(samples).toContain('kvbm_onboard_blocks_d2d 5')
    expect(samples).toContain('kvbm_matched_tokens 224')
    expect(samples).toContain('kvbm_host_cache_hit_rate 0.25')
    expect(samples).toContain('kvbm_disk_cache_hit_rate 0.5')
    expect(samples).toContain('kvbm_offload_blocks_d2o 0')
  })

  it('uses the HELP text of metrics_kvbm.rs and declares counters and gauges', () => {
    expect(text).toContain('# HELP kvbm_offload_blocks_d2h The number of offload blocks from device to host\n# TYPE kvbm_offload_blocks_d2h counter')
    expect(text).toContain('# HELP kvbm_host_cache_hit_rate Host cache hit rate (0.0-1.0) from the sliding window\n# TYPE kvbm_host_cache_hit_rate gauge')
  })
})
