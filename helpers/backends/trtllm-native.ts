import type { KvModeId } from '../config/kv-mode'
import type { PromParseResult } from '../telemetry/prometheus-parser'
import type { TierPlan } from '../tiers/tier-plan'
import { BackendConfigError, type BackendOptions, defineBackend, emptyLaunch, openAiCachedTokens, supported, unsupported } from './define-backend'
import { perToken, scaled, sumSeries } from './prom-series'
import { type TierCounters, emptyTierCounters } from './tier-counters'
import type { BackendLaunchConfig, ModeVerificationSpec, TieringBackend } from './tiering-backend'

// TensorRT-LLM's own KV cache manager (reference tiering-backends.md §7): B0 block reuse only, B1
// the host (secondary) pool `host_cache_size` in bytes. The disk keys (disk_cache_size,
// disk_cache_path; 1.3.0rc27+, KV cache manager v2) are documented but their semantics are
// unverified and no disk counter exists, so this backend supports the host tier only. There is no
// hit-count filter (B2') and no disk-only mode (B3). Metrics carry Dynamo's `trtllm_` prefix;
// onboard bytes also count preemption resumes and prefetches, so they over-state host hits.

export const TRTLLM_DEFAULT_BLOCK_TOKENS = 32

export const createTrtllmNativeBackend = (opts: BackendOptions = {}): TieringBackend => {
  const bpt = opts.kvBytesPerToken ?? null

  const build = (mode: KvModeId, plan: TierPlan): BackendLaunchConfig => {
    if (plan.eviction_policy !== 'lru') throw new BackendConfigError(`Expected plan.eviction_policy lru on trtllm-native (its pools evict LRU by priority), got ${plan.eviction_policy}`)
    const out = emptyLaunch()
    const kv: Record<string, unknown> = { enable_block_reuse: true, host_cache_size: mode === 'B1' ? plan.host_tier_bytes : 0 }
    if (plan.device_kv_tokens !== null) kv.max_tokens = plan.device_kv_tokens
    out.engineYaml = { kv_cache_config: kv }
    return out
  }

  const verification = (mode: KvModeId): ModeVerificationSpec => ({
    requiredMetricFamilies: ['trtllm_kv_cache_reused_blocks', ...(mode === 'B1' ? ['trtllm_kv_cache_offload_bytes', 'trtllm_kv_cache_onboard_bytes'] : [])],
    diskDirHeldOpen: false,
    oDirect: null,
  })

  const normalise = (scrape: PromParseResult): TierCounters => {
    const c = emptyTierCounters()
    const tpb = sumSeries(scrape, 'trtllm_kv_cache_tokens_per_block') ?? opts.blockTokens ?? TRTLLM_DEFAULT_BLOCK_TOKENS
    c.offload_device_to_host_tokens = perToken(sumSeries(scrape, 'trtllm_kv_cache_offload_bytes'), bpt)
    c.onboard_host_to_device_tokens = perToken(sumSeries(scrape, 'trtllm_kv_cache_onboard_bytes'), bpt)
    // Reused blocks are every prompt block served from cache (device or host): no split by tier.
    c.cached_prompt_tokens_total = scaled(sumSeries(scrape, 'trtllm_kv_cache_reused_blocks'), tpb)
    c.cached_prompt_tokens_offloaded = c.onboard_host_to_device_tokens
    return c
  }

  const NO_DISK = 'the disk keys (disk_cache_size, disk_cache_path) exist only in 1.3.0rc27+ with unverified semantics and no disk counters; this backend covers the host tier'
  return defineBackend({
    name: 'trtllm-native',
    engines: ['trtllm', 'kvsim'],
    modes: {
      B0: supported(),
      B1: supported('onboard bytes also count preemption resumes and prefetches'),
      B2: unsupported(NO_DISK),
      B2p: unsupported("no hit-count admission filter (only priority gates), and no verified disk tier"),
      B3: unsupported('no documented disk-only mode'),
    },
    build,
    verification,
    normalise,
    requestCachedTokens: openAiCachedTokens,
  })
}
