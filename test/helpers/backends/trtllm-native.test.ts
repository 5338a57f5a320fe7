import { describe, expect, it } from 'vitest'
import { createTrtllmNativeBackend } from '../../../helpers/backends/trtllm-native'
import { TierPlan } from '../../../helpers/tiers/tier-plan'
import { CTX, NO_TIERS_PLAN, PLAN } from './backend-test-plans'

describe('TRT-LLM native backend configuration', () => {
  const trt = createTrtllmNativeBackend()

  it('B0 is block reuse with no host pool; B1 sets host_cache_size in bytes', () => {
    expect(trt.configure('B0', NO_TIERS_PLAN, CTX).engineYaml).toEqual({ kv_cache_config: { enable_block_reuse: true, host_cache_size: 0 } })
    expect(trt.configure('B1', PLAN, CTX).engineYaml).toEqual({ kv_cache_config: { enable_block_reuse: true, host_cache_size: 8e9 } })
  })

  it('maps the device tier to kv_cache_config.max_tokens', () => {
    expect(trt.configure('B0', TierPlan.parse({ device_kv_tokens: 2048 }), CTX).engineYaml).toEqual({ kv_cache_config: { enable_block_reuse: true, host_cache_size: 0, max_tokens: 2048 } })
  })

  it('supports the host tier only, saying why for each disk mode', () => {
    for (const m of ['B2', 'B2p', 'B3'] as const) expect(trt.support(m).supported).toBe(false)
    expect(() => trt.configure('B2', PLAN, CTX)).toThrow(/disk_cache_size/)
  })
})
