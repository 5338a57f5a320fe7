import { TierPlan } from '../../../helpers/tiers/tier-plan'

// Plans shared by the per-backend configuration tests: 8 GB host, 32 GB disk, engine default device tier.
export const PLAN = TierPlan.parse({ host_tier_bytes: 8e9, disk_tier_bytes: 32e9 })
export const DISK_ONLY_PLAN = TierPlan.parse({ host_tier_bytes: 0, disk_tier_bytes: 32e9 })
export const NO_TIERS_PLAN = TierPlan.parse({})
export const CTX = { cacheDir: '/scratch/kv', metricsPort: 6880 }
