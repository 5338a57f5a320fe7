import { describe, expect, it } from 'vitest'
import { createSglangHicacheBackend } from '../../../helpers/backends/sglang-hicache'
import { TierPlan } from '../../../helpers/tiers/tier-plan'
import { CTX, DISK_ONLY_PLAN, NO_TIERS_PLAN, PLAN } from './backend-test-plans'

describe('SGLang HiCache backend configuration', () => {
  const sg = createSglangHicacheBackend()
  const BASE = ['--enable-metrics', '--enable-cache-report']
  const HI = (policy: string) => ['--enable-hierarchical-cache', '--hicache-write-policy', policy, '--hicache-mem-layout', 'page_first', '--hicache-size', '8']
  const FILE = ['--hicache-storage-backend', 'file', '--hicache-storage-prefetch-policy', 'wait_complete']

  it('B0 is the radix cache with metrics and cache reports, and no storage dir', () => {
    const c = sg.configure('B0', NO_TIERS_PLAN, CTX)
    expect(c.args).toEqual(BASE)
    expect(c.env).toEqual({ SGLANG_HICACHE_FILE_BACKEND_STORAGE_DIR: undefined })
  })

  it('B1 is the host tier with write_through', () => {
    expect(sg.configure('B1', PLAN, CTX).args).toEqual([...BASE, ...HI('write_through')])
  })

  it('--hicache-size is a whole number of GB, as SGLang parses it (type=int): a fractional plan is rounded, never below 1', () => {
    const size = (bytes: number) => {
      const a = sg.configure('B1', TierPlan.parse({ host_tier_bytes: bytes, disk_tier_bytes: 0 }), CTX).args
      return a[a.indexOf('--hicache-size') + 1]
    }
    expect([size(64.425e9), size(8e9), size(0.2e9)]).toEqual(['64', '8', '1'])
  })

  it("B2 filters with write_through_selective, B2' writes through, both on the file backend in the cache dir", () => {
    const b2 = sg.configure('B2', PLAN, CTX)
    expect(b2.args).toEqual([...BASE, ...HI('write_through_selective'), ...FILE])
    expect(b2.env).toEqual({ SGLANG_HICACHE_FILE_BACKEND_STORAGE_DIR: '/scratch/kv' })
    expect(sg.configure('B2p', PLAN, CTX).args).toEqual([...BASE, ...HI('write_through'), ...FILE])
  })

  it('B3 keeps host memory as a staging buffer only', () => {
    expect(sg.configure('B3', DISK_ONLY_PLAN, CTX).args).toEqual([
      ...BASE,
      '--enable-hierarchical-cache', '--hicache-write-policy', 'write_through', '--hicache-mem-layout', 'page_first',
      ...FILE,
      '--hicache-host-memory-mode', 'buffer_only',
    ])
  })

  it('maps the device tier to --max-total-tokens', () => {
    expect(sg.configure('B0', TierPlan.parse({ device_kv_tokens: 4096 }), CTX).args).toEqual([...BASE, '--max-total-tokens', '4096'])
  })

  it('reads cached tokens from the OpenAI usage or the native meta_info', () => {
    expect(sg.requestCachedTokens({ usage: { prompt_tokens_details: { cached_tokens: 512 } } })).toBe(512)
    expect(sg.requestCachedTokens({ meta_info: { cached_tokens: 1 } })).toBe(1)
    expect(sg.requestCachedTokens({ usage: { prompt_tokens: 5 } })).toBeNull()
  })
})
