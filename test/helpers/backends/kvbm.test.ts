import { describe, expect, it } from 'vitest'
import { KVBM_ENV_NAMES } from '../../../helpers/config/kv-mode'
import { createKvbmBackend } from '../../../helpers/backends/kvbm'
import { parsePrometheusText } from '../../../helpers/telemetry/prometheus-parser'
import { CTX, DISK_ONLY_PLAN, NO_TIERS_PLAN, PLAN } from './backend-test-plans'

const defined = (env: Record<string, string | undefined>) => Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined))

describe('KVBM backend configuration', () => {
  const kvbm = createKvbmBackend()

  it('B0 unsets every DYN_KVBM_* variable and loads no connector', () => {
    const c = kvbm.configure('B0', NO_TIERS_PLAN, CTX)
    for (const n of KVBM_ENV_NAMES) expect(c.env).toHaveProperty(n, undefined)
    expect(defined(c.env)).toEqual({})
    expect(c.kvTransferConfig).toBeNull()
  })

  it('B1 sets only the CPU cache and metrics, and forces the disk cache to 0', () => {
    const c = kvbm.configure('B1', PLAN, CTX)
    expect(defined(c.env)).toEqual({ DYN_KVBM_CPU_CACHE_GB: '8', DYN_KVBM_DISK_CACHE_GB: '0', DYN_KVBM_METRICS: 'true', DYN_KVBM_METRICS_PORT: '6880' })
    expect(c.kvTransferConfig).toEqual({ kv_connector: 'DynamoConnector', kv_role: 'kv_both', kv_connector_module_path: 'kvbm.vllm_integration.connector' })
  })

  it('B2 adds the disk cache in the cache dir with the offload filter on; B2p disables the filter', () => {
    const b2 = defined(kvbm.configure('B2', PLAN, CTX).env)
    expect(b2).toEqual({ DYN_KVBM_CPU_CACHE_GB: '8', DYN_KVBM_DISK_CACHE_GB: '32', DYN_KVBM_DISK_CACHE_DIR: '/scratch/kv', DYN_KVBM_METRICS: 'true', DYN_KVBM_METRICS_PORT: '6880' })
    expect(defined(kvbm.configure('B2p', PLAN, CTX).env)).toEqual({ ...b2, DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER: 'true' })
  })

  it('B3 sets the disk cache only, and block overrides when the block bytes are known', () => {
    const c = createKvbmBackend({ kvBytesPerToken: 131072, blockTokens: 32 }).configure('B3', DISK_ONLY_PLAN, CTX)
    expect(defined(c.env)).toEqual({
      DYN_KVBM_CPU_CACHE_GB: '0',
      DYN_KVBM_DISK_CACHE_GB: '32',
      DYN_KVBM_DISK_CACHE_DIR: '/scratch/kv',
      DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS: String(Math.floor(32e9 / (32 * 131072))),
      DYN_KVBM_METRICS: 'true',
      DYN_KVBM_METRICS_PORT: '6880',
    })
  })

  it('loads KVBM into TRT-LLM through the engine YAML instead of a kv-transfer-config', () => {
    const c = createKvbmBackend({ engine: 'trtllm' }).configure('B1', PLAN, CTX)
    expect(c.kvTransferConfig).toBeNull()
    expect(c.engineYaml).toMatchObject({ kv_connector_config: { connector_module: 'kvbm.trtllm_integration.connector' } })
  })

  it('refuses a plan without the tier the mode needs, naming the field', () => {
    expect(() => kvbm.configure('B2', DISK_ONLY_PLAN, CTX)).toThrow(/Expected plan.host_tier_bytes > 0 for B2 on kvbm/)
    expect(() => kvbm.configure('B1', NO_TIERS_PLAN, CTX)).toThrow(/host_tier_bytes/)
  })

  it('expects unlinked O_DIRECT files held open in the disk modes only', () => {
    expect(kvbm.verification('B1')).toMatchObject({ diskDirHeldOpen: false })
    expect(kvbm.verification('B2')).toMatchObject({ diskDirHeldOpen: true, oDirect: true })
    expect(kvbm.verification('B0').requiredMetricFamilies).toEqual([])
    expect(kvbm.verification('B3').requiredMetricFamilies).toContain('kvbm_onboard_blocks_d2d')
  })

  it('normalises block counters to tokens and leaves the sliding-window hit rates out', () => {
    const scrape = parsePrometheusText(
      ['kvbm_offload_blocks_d2h 10', 'kvbm_offload_blocks_h2d 4', 'kvbm_offload_blocks_d2d 1', 'kvbm_onboard_blocks_h2d 3', 'kvbm_onboard_blocks_d2d 2', 'kvbm_matched_tokens 160', 'kvbm_disk_cache_hit_rate 0.5']
        .map((l) => `# TYPE ${l.split(' ')[0]} ${l.includes('rate') ? 'gauge' : 'counter'}\n${l}`)
        .join('\n'),
    )
    const t = kvbm.normalise(scrape)
    expect(t).toMatchObject({
      offload_device_to_host_tokens: 320,
      offload_host_to_disk_tokens: 128,
      offload_device_to_disk_tokens: 32,
      onboard_host_to_device_tokens: 96,
      onboard_disk_to_device_tokens: 64,
      cached_prompt_tokens_offloaded: 160,
      cached_prompt_tokens_disk: null,
      cached_prompt_tokens_total: null,
    })
  })
})
