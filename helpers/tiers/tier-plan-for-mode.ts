import {
  KV_MODE_DEFAULT_CPU_GB,
  KV_MODE_DEFAULT_DISK_GB,
  type KvMode,
  kvModeHasDiskTier,
  kvModeHasHostTier,
} from '../config/kv-mode'
import { TierPlan } from './tier-plan'

// One source of tier sizes. A KvMode's sizes (cpuCacheGb, diskCacheGb, *_OverrideNumBlocks,
// evictionPolicy: Dynamo's env words) are the defaults of a phase's TierPlan; a phase's `tiers`
// override them; the resolved plan is then written back into the KvMode as exact block counts, so
// every driver that reads a KvMode (kvsim's env, Dynamo's DYN_KVBM_*) gets the plan's numbers.

export const GB = 1e9

/** The tier plan a mode implies, with a phase's overrides on top. A size for a tier the mode lacks is refused. */
export const tierPlanForMode = (mode: KvMode, blockBytes: number, overrides: Partial<TierPlan> = {}): TierPlan => {
  const hasHost = kvModeHasHostTier(mode.id)
  const hasDisk = kvModeHasDiskTier(mode.id)
  if (!hasHost && (overrides.host_tier_bytes ?? 0) > 0)
    throw new Error(`Expected no host_tier_bytes for mode ${mode.id} (it has no host tier), got ${overrides.host_tier_bytes}`)
  if (!hasDisk && (overrides.disk_tier_bytes ?? 0) > 0)
    throw new Error(`Expected no disk_tier_bytes for mode ${mode.id} (it has no disk tier), got ${overrides.disk_tier_bytes}`)
  const bytes = (blocks: number | undefined, gb: number | undefined, dflt: number) =>
    blocks !== undefined ? blocks * blockBytes : Math.round((gb ?? dflt) * GB)
  return TierPlan.parse({
    device_kv_tokens: overrides.device_kv_tokens ?? null,
    host_tier_bytes: hasHost
      ? (overrides.host_tier_bytes ?? bytes(mode.cpuCacheOverrideNumBlocks, mode.cpuCacheGb, KV_MODE_DEFAULT_CPU_GB[mode.id]))
      : 0,
    disk_tier_bytes: hasDisk
      ? (overrides.disk_tier_bytes ?? bytes(mode.diskCacheOverrideNumBlocks, mode.diskCacheGb, KV_MODE_DEFAULT_DISK_GB[mode.id]))
      : 0,
    eviction_policy: overrides.eviction_policy ?? mode.evictionPolicy ?? 'lru',
  })
}

/**
 * The KvMode that carries a tier plan: GB values for Dynamo's *_CACHE_GB and exact block counts in
 * *_OverrideNumBlocks (which win in KVBM and kvsim alike), so a plan means the same blocks everywhere.
 */
export const kvModeForTierPlan = (mode: KvMode, plan: TierPlan, blockBytes: number): KvMode => {
  const blocks = (b: number) => Math.max(1, Math.floor(b / blockBytes))
  const out: KvMode = { id: mode.id, evictionPolicy: plan.eviction_policy }
  if (kvModeHasHostTier(mode.id)) {
    out.cpuCacheGb = plan.host_tier_bytes / GB
    if (plan.host_tier_bytes > 0) out.cpuCacheOverrideNumBlocks = blocks(plan.host_tier_bytes)
  } else out.cpuCacheGb = 0
  if (kvModeHasDiskTier(mode.id)) {
    out.diskCacheGb = plan.disk_tier_bytes / GB
    if (plan.disk_tier_bytes > 0) out.diskCacheOverrideNumBlocks = blocks(plan.disk_tier_bytes)
  } else out.diskCacheGb = 0
  return out
}
