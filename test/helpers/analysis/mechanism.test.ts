import { describe, expect, it } from 'vitest'
import { diskTierBlocks, kvbmDelta, mechanismSignals, tier2HitPct } from '../../../helpers/analysis/mechanism'

const zeros = {
  kvbm_offload_blocks_d2h: 0,
  kvbm_offload_blocks_h2d: 0,
  kvbm_offload_blocks_d2d: 0,
  kvbm_onboard_blocks_h2d: 0,
  kvbm_onboard_blocks_d2d: 0,
  kvbm_matched_tokens: 0,
}

describe('mechanismSignals', () => {
  it('never counts host onboarding (h2d) as disk rehydrate', () => {
    const s = mechanismSignals({ ...zeros, kvbm_onboard_blocks_h2d: 1884, kvbm_matched_tokens: 5000 })
    expect(s.disk_rehydrate).toBe(false)
    expect(s.host_onboard).toBe(true)
    expect(s.reuse).toBe(true)
    expect(s.write).toBe(false)
  })

  it('detects disk writes from h2d or d2d offloads and rehydrate from d2d onboards', () => {
    expect(mechanismSignals({ ...zeros, kvbm_offload_blocks_h2d: 3 }).write).toBe(true)
    expect(mechanismSignals({ ...zeros, kvbm_offload_blocks_d2d: 3 }).write).toBe(true)
    expect(mechanismSignals({ ...zeros, kvbm_onboard_blocks_d2d: 1 }).disk_rehydrate).toBe(true)
  })

  it('reports unknown, not false, when counters are missing', () => {
    const s = mechanismSignals({ kvbm_offload_blocks_h2d: 0 })
    expect(s.write).toBe('unknown') // d2d missing: a 0 h2d cannot prove no disk writes
    expect(s.disk_rehydrate).toBe('unknown')
    expect(s.reuse).toBe('unknown')
    expect(mechanismSignals(null).host_onboard).toBe('unknown')
    // But one positive counter is enough for true.
    expect(mechanismSignals({ kvbm_offload_blocks_h2d: 2 }).write).toBe(true)
  })

  it('accepts the _delta, kvbm_ and bare spellings of a counter', () => {
    expect(kvbmDelta({ kvbm_matched_tokens_delta: 7 }, 'matched_tokens')).toBe(7)
    expect(kvbmDelta({ matched_tokens: 8 }, 'matched_tokens')).toBe(8)
    expect(kvbmDelta({ kvbm_matched_tokens: null }, 'matched_tokens')).toBeNull()
  })
})

describe('disk-tier figures', () => {
  it('tier2HitPct is the disk share of onboarded blocks', () => {
    expect(tier2HitPct({ kvbm_onboard_blocks_d2d: 25, kvbm_onboard_blocks_h2d: 75 })).toBe(25)
    expect(tier2HitPct({ kvbm_onboard_blocks_d2d: 0, kvbm_onboard_blocks_h2d: 0 })).toBeNull()
    expect(tier2HitPct({})).toBeNull()
  })

  it('diskTierBlocks sums disk writes and reads and is null when a counter is missing', () => {
    expect(diskTierBlocks({ ...zeros, kvbm_offload_blocks_h2d: 2, kvbm_onboard_blocks_d2d: 3, kvbm_onboard_blocks_h2d: 50 })).toBe(5)
    expect(diskTierBlocks({ kvbm_offload_blocks_h2d: 0 })).toBeNull()
  })
})
