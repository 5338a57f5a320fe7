import type { KvMode } from '../config/kv-mode'
import type { TierPlan } from './tier-plan'
import { kvModeForTierPlan, tierPlanForMode } from './tier-plan-for-mode'

// A phase's mode and tier plan resolved together: the plan (mode sizes + the phase's `tiers`) and
// the KvMode that carries it to the drivers. A phase that names no host/disk size keeps its mode's
// own words (so a profile's caps, e.g. kvsim tiny's, keep applying).
export const resolvePhaseTiers = (mode: KvMode, blockBytes: number, overrides: Partial<TierPlan> = {}): { mode: KvMode; plan: TierPlan } => {
  const plan = tierPlanForMode(mode, blockBytes, overrides)
  const resized = overrides.host_tier_bytes !== undefined || overrides.disk_tier_bytes !== undefined
  return {
    plan,
    mode: resized ? kvModeForTierPlan(mode, plan, blockBytes) : { ...mode, evictionPolicy: plan.eviction_policy },
  }
}
