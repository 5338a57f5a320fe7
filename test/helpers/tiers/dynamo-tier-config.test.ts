import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { resolveKvModes } from '../../../helpers/config/kv-mode-defaults'
import { DynamoEngine } from '../../../helpers/target/dynamo-config'
import { engineYaml } from '../../../helpers/target/dynamo-engine-yaml'
import { dynamoTierLaunch, parseTrtllmKvTokens, withTrtllmDeviceTier } from '../../../helpers/tiers/dynamo-tier-config'
import { KVBM_TRTLLM_CONNECTOR } from '../../../helpers/target/dynamo-worker-launch'
import { TierPlan } from '../../../helpers/tiers/tier-plan'

const BLOCK = 32 * 131072 // 8B FP8 engine with a bf16 KV cache: 4 MiB blocks
const modes = resolveKvModes()
const plan = TierPlan.parse({ device_kv_tokens: 65536, host_tier_bytes: 2 * 2 ** 30, disk_tier_bytes: 64 * 2 ** 30 })
const o = { freeGpuMemoryFraction: 0.8, tokensPerBlock: 32, blockBytes: BLOCK, cacheDir: '/mnt/nvme/kvbm', metricsPort: 6880 }

describe('the Dynamo + TRT-LLM mapping of a tier plan', () => {
  it('caps the device tier with kv_cache_config.max_tokens in the engine YAML and keeps the memory fraction', () => {
    // What the Dynamo driver writes: the KVBM backend's fragment with the plan's device tier merged in.
    const y = engineYaml(DynamoEngine.parse({}), 'B2', withTrtllmDeviceTier({ kv_connector_config: { ...KVBM_TRTLLM_CONNECTOR } }, plan))
    const doc = parse(y.text) as { kv_cache_config: Record<string, unknown>; kv_connector_config?: unknown }
    expect(doc.kv_cache_config).toEqual({ enable_partial_reuse: false, free_gpu_memory_fraction: 0.8, tokens_per_block: 32, max_tokens: 65536 })
    expect(doc.kv_connector_config).toBeDefined()
    // No device tier in the plan: the engine's own sizing, no max_tokens key.
    expect(withTrtllmDeviceTier(null, TierPlan.parse({}))).toBeNull()
    const dflt = parse(engineYaml(DynamoEngine.parse({}), 'B2', withTrtllmDeviceTier({ kv_connector_config: { ...KVBM_TRTLLM_CONNECTOR } }, TierPlan.parse({}))).text) as { kv_cache_config: Record<string, unknown> }
    expect(dflt.kv_cache_config).not.toHaveProperty('max_tokens')
  })

  it('sizes KVBM host and disk tiers in GB with the exact block counts as overrides', () => {
    const l = dynamoTierLaunch(modes.B2, plan, o)
    expect(l.kvCacheConfig).toEqual({ free_gpu_memory_fraction: 0.8, tokens_per_block: 32, max_tokens: 65536 })
    expect(l.env).toMatchObject({
      DYN_KVBM_CPU_CACHE_GB: String(2 * 2 ** 30 / 1e9),
      DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS: '512',
      DYN_KVBM_DISK_CACHE_GB: String(64 * 2 ** 30 / 1e9),
      DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS: '16384',
      DYN_KVBM_DISK_CACHE_DIR: '/mnt/nvme/kvbm',
      DYN_KVBM_METRICS: 'true',
      DYN_KVBM_METRICS_PORT: '6880',
    })
    expect(l.env.KVSIM_EVICTION_POLICY).toBeUndefined()
    expect(l.notApplicable).toBeNull()
  })

  it('leaves the disk variables unset for B1 and says LFU is not applicable on KVBM', () => {
    const b1 = dynamoTierLaunch(modes.B1, TierPlan.parse({ host_tier_bytes: 2 ** 30, eviction_policy: 'lfu' }), o)
    expect(b1.env.DYN_KVBM_DISK_CACHE_GB).toBe('0')
    expect(b1.env.DYN_KVBM_DISK_CACHE_DIR).toBeUndefined()
    expect(b1.env.DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS).toBeUndefined()
    expect(b1.notApplicable).toMatch(/LRU only.*lfu/)
  })

  it("reads the paged KV pool size TRT-LLM prints at startup (the last one after restarts)", () => {
    const log = [
      '[TensorRT-LLM][INFO] [MemUsageChange] Allocated 86.53 GiB for max tokens in paged KV cache (725824).',
      'other line',
      '[TensorRT-LLM][INFO] [MemUsageChange] Allocated 8.00 GiB for max tokens in paged KV cache (65536).',
    ].join('\n')
    expect(parseTrtllmKvTokens(log)).toBe(65536)
    expect(parseTrtllmKvTokens('no such line')).toBeNull()
  })
})
