import { KVBM_ENV_NAMES, type KvModeId, kvModeHasDiskTier, kvModeHasHostTier, kvModeUsesKvbm } from '../config/kv-mode'
import type { PromParseResult } from '../telemetry/prometheus-parser'
import type { TierPlan } from '../tiers/tier-plan'
import { type BackendOptions, defineBackend, emptyLaunch, gb, openAiCachedTokens, supported } from './define-backend'
import { scaled, sumSeries } from './prom-series'
import { type TierCounterName, type TierCounters, emptyTierCounters } from './tier-counters'
import type { BackendLaunchConfig, EngineName, ModeVerificationSpec, TieringBackend } from './tiering-backend'

// Dynamo KVBM (kvbm wheel; deprecated in Dynamo v1.5.0, still shipped in 1.6.x). Modes are env only
// (reference tiering-backends.md §6.2): B1 CPU cache, B2 + disk cache (offload filter on), B2' + the
// filter disabled, B3 disk only (experimental). Counters are Rust prometheus counters in blocks, no
// `_total` (§6.3); tokens = blocks × block size. The hit-rate gauges are sliding windows, never
// phase evidence, so cached tokens by source stay unavailable; matched_tokens is host+disk reuse.

/** KVBM's block counters (short names, no `kvbm_` prefix) by the tier transition each counts. */
export const KVBM_BLOCK_COUNTERS: readonly (readonly [TierCounterName, string])[] = [
  ['offload_device_to_host_tokens', 'offload_blocks_d2h'],
  ['offload_host_to_disk_tokens', 'offload_blocks_h2d'],
  ['offload_device_to_disk_tokens', 'offload_blocks_d2d'],
  ['onboard_host_to_device_tokens', 'onboard_blocks_h2d'],
  ['onboard_disk_to_device_tokens', 'onboard_blocks_d2d'],
]

export const KVBM_DEFAULT_BLOCK_TOKENS = 32
export const KVBM_COUNTER_FAMILIES = ['kvbm_offload_blocks_d2h', 'kvbm_offload_blocks_h2d', 'kvbm_offload_blocks_d2d', 'kvbm_onboard_blocks_h2d', 'kvbm_onboard_blocks_d2d', 'kvbm_matched_tokens'] as const

export interface KvbmOptions extends BackendOptions {
  /** Engine the KVBM connector plugs into (vLLM: --kv-transfer-config; TRT-LLM: engine YAML). @default 'vllm' */
  engine?: Extract<EngineName, 'vllm' | 'trtllm' | 'kvsim'>
}

/** The vLLM connector that loads KVBM (reference §6.2). */
export const KVBM_VLLM_KV_TRANSFER_CONFIG = { kv_connector: 'DynamoConnector', kv_role: 'kv_both', kv_connector_module_path: 'kvbm.vllm_integration.connector' }
/** The TRT-LLM engine-YAML fragment that loads KVBM (reference §6.2). */
export const KVBM_TRTLLM_ENGINE_YAML = {
  backend: 'pytorch',
  cuda_graph_config: null,
  kv_cache_config: { enable_partial_reuse: false },
  kv_connector_config: {
    connector_module: 'kvbm.trtllm_integration.connector',
    connector_scheduler_class: 'DynamoKVBMConnectorLeader',
    connector_worker_class: 'DynamoKVBMConnectorWorker',
  },
}

export const createKvbmBackend = (opts: KvbmOptions = {}): TieringBackend => {
  const blockTokens = opts.blockTokens ?? KVBM_DEFAULT_BLOCK_TOKENS
  const blockBytes = opts.kvBytesPerToken ? blockTokens * opts.kvBytesPerToken : null
  const engine = opts.engine ?? 'vllm'

  const build = (mode: KvModeId, plan: TierPlan, ctx: { cacheDir: string; metricsPort: number | null }): BackendLaunchConfig => {
    const out = emptyLaunch()
    // Every DYN_KVBM_* the mode does not use is unset, so no leg inherits a tier from the caller.
    for (const n of KVBM_ENV_NAMES) out.env[n] = undefined
    out.env.DYN_KVBM_DISK_DISABLE_O_DIRECT = undefined
    if (!kvModeUsesKvbm(mode)) return out
    out.env.DYN_KVBM_CPU_CACHE_GB = kvModeHasHostTier(mode) ? gb(plan.host_tier_bytes) : '0'
    out.env.DYN_KVBM_DISK_CACHE_GB = kvModeHasDiskTier(mode) ? gb(plan.disk_tier_bytes) : '0'
    // With the block size known, block counts are exact (GB is 10^9 in kv-mode.ts; the unit is [U]).
    if (blockBytes && kvModeHasHostTier(mode)) out.env.DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS = String(Math.floor(plan.host_tier_bytes / blockBytes))
    if (kvModeHasDiskTier(mode)) {
      out.env.DYN_KVBM_DISK_CACHE_DIR = ctx.cacheDir
      if (blockBytes) out.env.DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS = String(Math.floor(plan.disk_tier_bytes / blockBytes))
    }
    if (mode === 'B2p') out.env.DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER = 'true'
    out.env.DYN_KVBM_METRICS = 'true'
    if (ctx.metricsPort !== null) out.env.DYN_KVBM_METRICS_PORT = String(ctx.metricsPort)
    // kvsim honours the plan's eviction policy; Dynamo's KVBM is LRU only.
    if (engine === 'kvsim') out.env.KVSIM_EVICTION_POLICY = plan.eviction_policy
    if (engine === 'vllm') out.kvTransferConfig = { ...KVBM_VLLM_KV_TRANSFER_CONFIG }
    else if (engine === 'trtllm') out.engineYaml = structuredClone(KVBM_TRTLLM_ENGINE_YAML)
    return out
  }

  const verification = (mode: KvModeId): ModeVerificationSpec => ({
    requiredMetricFamilies: kvModeUsesKvbm(mode) ? [...KVBM_COUNTER_FAMILIES] : [],
    // KVBM's disk pool files are unlinked after creation: only /proc/<pid>/fd shows them (§2).
    diskDirHeldOpen: kvModeHasDiskTier(mode),
    oDirect: kvModeHasDiskTier(mode) ? true : null,
  })

  const normalise = (scrape: PromParseResult): TierCounters => {
    const blocks = (n: string) => scaled(sumSeries(scrape, `kvbm_${n}`), blockTokens)
    const c = emptyTierCounters()
    // Host onboarding (h2d) is never disk; reported stuck at 0 in dynamo#4549.
    for (const [tier, kvbm] of KVBM_BLOCK_COUNTERS) c[tier] = blocks(kvbm)
    c.cached_prompt_tokens_offloaded = sumSeries(scrape, 'kvbm_matched_tokens')
    return c
  }

  return defineBackend({
    name: 'kvbm',
    engines: ['vllm', 'trtllm', 'kvsim'],
    modes: {
      B0: supported(),
      B1: supported(),
      B2: supported(),
      B2p: supported(),
      B3: supported('experimental in Dynamo ("Disk cache only"); the disk offload filter does not apply'),
    },
    build,
    verification,
    normalise,
    requestCachedTokens: openAiCachedTokens,
  })
}
