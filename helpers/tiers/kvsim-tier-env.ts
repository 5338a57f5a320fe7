import type { TierPlan } from './tier-plan'

// kvsim's own words for the part of a tier plan Dynamo's env does not carry: the device tier. (Host
// and disk sizes reach kvsim as DYN_KVBM_* from the KvMode, exactly as they reach a KVBM worker.)
export const kvsimTierEnv = (plan: TierPlan, tokensPerBlock: number, configG1Blocks?: number): Record<string, string> => {
  if (plan.device_kv_tokens !== null) return { KVSIM_G1_OVERRIDE_NUM_BLOCKS: String(Math.ceil(plan.device_kv_tokens / tokensPerBlock)) }
  return configG1Blocks !== undefined ? { KVSIM_G1_OVERRIDE_NUM_BLOCKS: String(configG1Blocks) } : {}
}
