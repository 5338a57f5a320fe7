import { describe, expect, it } from 'vitest'
import {
  diskOffloadFigure,
  diskRehydrateFigure,
  diskTierActivityFigure,
  diskTierBlocks,
  figureInput,
  kvbmDelta,
  mechanismSignals,
  offloadReuseFigure,
  phaseTierDeltas,
  sumFigures,
  tier2HitPct,
  tier2HitPctOf,
} from '../../../helpers/analysis/mechanism'
import { TIER_COUNTER_NAMES } from '../../../helpers/backends/tier-counters'

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

describe('figures from normalised tier counters, with OS evidence where a backend has none', () => {
  const tiers = (over: Record<string, number | null>): Record<string, number | null> => ({ ...Object.fromEntries(TIER_COUNTER_NAMES.map((n) => [n, null])), ...over })
  const os = (over: Record<string, number | null> = {}) => ({
    process_read_bytes: 0,
    process_write_bytes: 0,
    cgroup_read_bytes: null,
    cgroup_write_bytes: null,
    cache_dir_files_after: 3,
    cache_dir_bytes_after: 4096,
    cache_open_files: 1,
    o_direct_confirmed: null,
    page_cache_dropped: null,
    ...over,
  })

  it('uses the disk counters when the backend has them, and says so', () => {
    const d = { tiers: tiers({ offload_host_to_disk_tokens: 64, offload_device_to_disk_tokens: null, onboard_disk_to_device_tokens: 32 }) }
    expect(diskOffloadFigure(d)).toMatchObject({ value: 64, evidence: 'counters', unit: 'tokens' })
    expect(diskRehydrateFigure(d)).toMatchObject({ value: 32, evidence: 'counters' })
  })

  it('never counts host onboarding as a disk rehydrate', () => {
    const d = { tiers: tiers({ onboard_host_to_device_tokens: 500, onboard_disk_to_device_tokens: 0 }) }
    expect(diskRehydrateFigure(d).value).toBe(0)
  })

  it('falls back to O_DIRECT-confirmed engine reads when the backend has no disk counter (LMCache v1)', () => {
    const d = { tiers: tiers({ cached_prompt_tokens_offloaded: 900 }), tier_os: os({ process_read_bytes: 1 << 20, o_direct_confirmed: 1 }) }
    expect(diskRehydrateFigure(d)).toMatchObject({ value: 1 << 20, evidence: 'os', unit: 'bytes' })
    expect(figureInput(diskRehydrateFigure(d)).details).toMatchObject({ evidence: 'os', basis: expect.stringMatching(/O_DIRECT/) })
  })

  it('reports no data, not 0, when buffered reads could have come from the page cache', () => {
    const d = { tiers: tiers({}), tier_os: os({ process_read_bytes: 0, o_direct_confirmed: 0 }) }
    const f = diskRehydrateFigure(d)
    expect(f.value).toBeNull()
    expect(f.basis).toMatch(/page cache not dropped/)
  })

  it('takes an empty disk-tier directory as proof that nothing was read from or written to disk', () => {
    const d = { tiers: tiers({}), tier_os: os({ process_read_bytes: 8192, process_write_bytes: 4096, cache_dir_files_after: 0, cache_open_files: 0 }) }
    expect(diskRehydrateFigure(d)).toMatchObject({ value: 0, evidence: 'os' })
    expect(diskOffloadFigure(d)).toMatchObject({ value: 0, evidence: 'os' })
  })

  it('accepts buffered writes when files exist under the cache dir (writeback reaches storage)', () => {
    const d = { tiers: tiers({}), tier_os: os({ process_write_bytes: 65536 }) }
    expect(diskOffloadFigure(d)).toMatchObject({ value: 65536, evidence: 'os' })
  })

  it('is null without counters and without process IO', () => {
    expect(diskRehydrateFigure({ tiers: tiers({}), tier_os: os({ process_read_bytes: null }) }).value).toBeNull()
    expect(diskOffloadFigure(undefined).value).toBeNull()
    expect(offloadReuseFigure({ tiers: tiers({}) }).value).toBeNull()
  })

  it('derives tier deltas from KVBM deltas of older records (32-token blocks)', () => {
    const t = phaseTierDeltas({ kvbm: { kvbm_onboard_blocks_d2d_delta: 2, kvbm_matched_tokens_delta: 64 } })
    expect(t.onboard_disk_to_device_tokens).toBe(64)
    expect(t.cached_prompt_tokens_offloaded).toBe(64)
    expect(t.onboard_host_to_device_tokens).toBeNull()
  })

  it('computes the disk share from onboard tokens, else from cached tokens by tier', () => {
    expect(tier2HitPctOf({ tiers: tiers({ onboard_disk_to_device_tokens: 30, onboard_host_to_device_tokens: 70 }) })).toBe(30)
    expect(tier2HitPctOf({ tiers: tiers({ cached_prompt_tokens_disk: 50, cached_prompt_tokens_host: 50 }) })).toBe(50)
    expect(tier2HitPctOf({ tiers: tiers({ cached_prompt_tokens_host: 50 }) })).toBeNull()
  })

  it('reuse and B1 disk activity read the offload counters', () => {
    expect(offloadReuseFigure({ tiers: tiers({ cached_prompt_tokens_host: 10, cached_prompt_tokens_disk: null }) })).toMatchObject({ value: 10, evidence: 'counters' })
    expect(diskTierActivityFigure({ tiers: tiers({ offload_host_to_disk_tokens: 0, onboard_disk_to_device_tokens: 0 }) }).value).toBe(0)
    expect(diskTierActivityFigure({ tiers: tiers({}), tier_os: os({ cache_open_files: 2 }) })).toMatchObject({ value: 2, evidence: 'os' })
  })

  it('sums figures over phases, keeping null only when every phase is null', () => {
    const a = { value: 5, evidence: 'counters' as const, unit: 'tokens' as const, basis: 'x' }
    const n = { value: null, evidence: null, unit: null, basis: 'none' }
    expect(sumFigures([a, n, a]).value).toBe(10)
    expect(sumFigures([n, n]).value).toBeNull()
  })
})
