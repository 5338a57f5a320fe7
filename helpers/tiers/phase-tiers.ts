import { type KvMode, kvModeHasDiskTier, kvModeHasHostTier } from '../config/kv-mode'
import type { TierPlan } from './tier-plan'
import { GB, tierPlanForMode } from './tier-plan-for-mode'

// A phase's mode and tier plan resolved together: the plan (mode sizes + the phase's `tiers`) and
// the KvMode that carries it to the drivers. Only the tiers a phase overrides are rewritten (as GB
// and exact block counts); the others keep their mode's own words, so a profile's caps (kvsim tiny's
// G2/G3) keep applying and the effective capacities say what the engine really got.
export const resolvePhaseTiers = (mode: KvMode, blockBytes: number, overrides: Partial<TierPlan> = {}): { mode: KvMode; plan: TierPlan } => {
  const plan = tierPlanForMode(mode, blockBytes, overrides)
  const out: KvMode = { ...mode, evictionPolicy: plan.eviction_policy }
  const blocks = (b: number) => (b > 0 ? Math.max(1, Math.floor(b / blockBytes)) : undefined)
  if (overrides.host_tier_bytes !== undefined && kvModeHasHostTier(mode.id)) {
    out.cpuCacheGb = plan.host_tier_bytes / GB
    out.cpuCacheOverrideNumBlocks = blocks(plan.host_tier_bytes)
  }
  if (overrides.disk_tier_bytes !== undefined && kvModeHasDiskTier(mode.id)) {
    out.diskCacheGb = plan.disk_tier_bytes / GB
    out.diskCacheOverrideNumBlocks = blocks(plan.disk_tier_bytes)
  }
  return { plan, mode: JSON.parse(JSON.stringify(out)) as KvMode }
}
