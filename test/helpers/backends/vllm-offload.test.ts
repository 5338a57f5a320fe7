import { describe, expect, it } from 'vitest'
import { createVllmOffloadBackend, vllmLaunchArgs } from '../../../helpers/backends/vllm-offload'
import { TierPlan } from '../../../helpers/tiers/tier-plan'
import { CTX, DISK_ONLY_PLAN, NO_TIERS_PLAN, PLAN } from './backend-test-plans'

describe('vLLM OffloadingConnector backend configuration', () => {
  const vllm = createVllmOffloadBackend()

  it('B0 is prefix caching with per-request cached tokens and no connector', () => {
    const c = vllm.configure('B0', NO_TIERS_PLAN, CTX)
    expect(vllmLaunchArgs(c)).toEqual(['--enable-prefix-caching', '--enable-prompt-tokens-details'])
    expect(c.env).toEqual({ VLLM_USE_SIMPLE_KV_OFFLOAD: undefined })
  })

  it('B1 is CPUOffloadingSpec with the plan host bytes, as one --kv-transfer-config JSON', () => {
    const c = vllm.configure('B1', PLAN, CTX)
    expect(vllmLaunchArgs(c)).toEqual([
      '--enable-prefix-caching',
      '--enable-prompt-tokens-details',
      '--kv-transfer-config',
      '{"kv_connector":"OffloadingConnector","kv_role":"kv_both","kv_connector_extra_config":{"spec_name":"CPUOffloadingSpec","cpu_bytes_to_use":8000000000,"eviction_policy":"lru"}}',
    ])
  })

  it('B2 is TieringOffloadingSpec with an fs tier in the cache dir and a fixed hash seed', () => {
    const c = vllm.configure('B2', PLAN, CTX)
    expect(c.kvTransferConfig).toEqual({
      kv_connector: 'OffloadingConnector',
      kv_role: 'kv_both',
      kv_connector_extra_config: {
        spec_name: 'TieringOffloadingSpec',
        cpu_bytes_to_use: 8e9,
        eviction_policy: 'lru',
        secondary_tiers: [{ type: 'fs', root_dir: '/scratch/kv', n_read_threads: 16, n_write_threads: 16 }],
      },
    })
    expect(c.env.PYTHONHASHSEED).toBe('0')
    expect(vllm.support('B2')).toMatchObject({ supported: true, caveat: expect.stringMatching(/no capacity limit/) })
  })

  it("refuses B2' (no disk filter to switch off) and B3 (no GPU→disk spec), with the reason", () => {
    expect(vllm.support('B2p')).toMatchObject({ supported: false, reason: expect.stringMatching(/no disk admission filter/) })
    expect(() => vllm.configure('B2p', PLAN, CTX)).toThrow(/Expected a mode vllm-offload can run, got B2'/)
    expect(() => vllm.configure('B3', DISK_ONLY_PLAN, CTX)).toThrow(/cpu_bytes_to_use/)
  })

  it('maps the device tier to whole GPU blocks and refuses an eviction policy it lacks', () => {
    const plan = TierPlan.parse({ device_kv_tokens: 1000, host_tier_bytes: 1e9 })
    expect(vllm.configure('B1', plan, CTX).args).toContain('--num-gpu-blocks-override')
    expect(vllm.configure('B1', plan, CTX).args.at(-1)).toBe('63')
    expect(() => vllm.configure('B1', { ...plan, eviction_policy: 'lfu' }, CTX)).toThrow(/Expected plan.eviction_policy lru on vllm-offload/)
  })

  it('expects O_DIRECT block files in B2 but cannot require them to be held open', () => {
    expect(vllm.verification('B2')).toMatchObject({ diskDirHeldOpen: null, oDirect: true })
    expect(vllm.verification('B1')).toMatchObject({ diskDirHeldOpen: false })
  })
})
