import { kvModeEnv, type KvMode } from '../config/kv-mode'
import type { TierPlan } from './tier-plan'
import { kvModeForTierPlan } from './tier-plan-for-mode'

// What a tier plan becomes on Dynamo + TRT-LLM + KVBM: the device tier is TRT-LLM's paged KV pool
// (kv_cache_config.max_tokens caps what free_gpu_memory_fraction would take), host and disk are
// KVBM's DYN_KVBM_CPU_CACHE_GB / DYN_KVBM_DISK_CACHE_GB with *_OVERRIDE_NUM_BLOCKS holding the exact
// block counts. Pure, so the Dynamo driver (and `tierbench plan`) call it and tests can read it.

export interface DynamoTierLaunch {
  /** Merged into the engine YAML's kv_cache_config. */
  kvCacheConfig: Record<string, unknown>
  /** The worker's DYN_KVBM_* env (undefined = must be unset). */
  env: Record<string, string | undefined>
  /** Set when the plan asks for something KVBM cannot do (LFU): the phase is not applicable there. */
  notApplicable: string | null
}

/** The kv_cache_config keys a tier plan sets in a TRT-LLM engine YAML (merged over the engine's own). */
export const trtllmKvCacheFragment = (plan: TierPlan | undefined): Record<string, unknown> =>
  plan?.device_kv_tokens != null ? { max_tokens: plan.device_kv_tokens } : {}

/** A backend's engine-YAML fragment with the plan's device tier merged into its kv_cache_config (null stays null without one). */
export const withTrtllmDeviceTier = (fragment: Record<string, unknown> | null, plan: TierPlan | null | undefined): Record<string, unknown> | null => {
  const device = trtllmKvCacheFragment(plan ?? undefined)
  if (Object.keys(device).length === 0) return fragment
  const kv = (fragment?.kv_cache_config ?? {}) as Record<string, unknown>
  return { ...(fragment ?? {}), kv_cache_config: { ...kv, ...device } }
}

export const dynamoTierLaunch = (
  mode: KvMode,
  plan: TierPlan,
  o: { freeGpuMemoryFraction: number; tokensPerBlock: number; blockBytes: number; cacheDir: string; metricsPort: number },
): DynamoTierLaunch => {
  const kvCacheConfig: Record<string, unknown> = {
    free_gpu_memory_fraction: o.freeGpuMemoryFraction,
    tokens_per_block: o.tokensPerBlock,
    ...trtllmKvCacheFragment(plan),
  }
  const sized = kvModeForTierPlan(mode, plan, o.blockBytes)
  const env = kvModeEnv(sized, { cacheDir: o.cacheDir, metricsPort: o.metricsPort })
  // KVBM has no policy switch; the emulator-only variable must not reach a real worker.
  env.KVSIM_EVICTION_POLICY = undefined
  const notApplicable = plan.eviction_policy === 'lru' ? null : `KVBM evicts LRU only; eviction_policy ${plan.eviction_policy} is not applicable on Dynamo`
  return { kvCacheConfig, env, notApplicable }
}

/**
 * TRT-LLM's startup line for the paged KV pool, e.g. "[MemUsageChange] Allocated 86.53 GiB for max
 * tokens in paged KV cache (725824)." Returns the token capacity it printed last (restarts append).
 */
export const parseTrtllmKvTokens = (log: string): number | null => {
  let last: number | null = null
  for (const m of log.matchAll(/max tokens in paged KV cache \((\d+)\)/g)) last = Number(m[1])
  return last
}
