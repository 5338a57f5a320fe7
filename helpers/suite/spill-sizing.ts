import type { KvMode, KvModeId } from '../config/kv-mode'
import { kvModeHasDiskTier } from '../config/kv-mode'
import type { TierPlan } from '../tiers/tier-plan'
import { type UpperTiers, type WorkingSetClaim, spillPromptCount } from '../tiers/working-set'
import type { SuiteSettings } from './suite-settings'

// "Populate factor x (device + host) worth of distinct prefixes, then replay": the number of
// distinct prompts a spill phase sends, computed from the capacities this run's target will have,
// and the disk tier that holds them all (a replay must find them on disk). The same suite therefore
// spills on kvsim's tiny profile, at a Spark's 22.6k device blocks, and on an H100 box.

export interface SpillSizing {
  /** Distinct prompts in the working set. */
  prompts: number
  promptTokens: number
  /** Distinct KV the phase sends, tokens. */
  workingSetTokens: number
  /** The phase's tier plan overrides (disk tier grown to hold the working set, when the mode has one). */
  tiers: Partial<TierPlan>
  /** What the preflight checks against the effective tiers before load. */
  claim: WorkingSetClaim
  /** Capacities the sizing used (tokens). */
  upperTokens: number | null
}

export interface SpillSizingOptions {
  mode: KvModeId | KvMode
  promptTokens: number
  /** Tokens each request generates (their blocks are registered too). */
  outputTokens: number
  /** Working set = factor x upper tiers. @default 1.5 */
  factor?: number
  /** The preflight's factor (below the sizing factor: rounding never trips it). @default 1.2 */
  claimFactor?: number
  exceeds?: UpperTiers
  /** Never fewer prompts than this (the plan's session count). */
  minPrompts?: number
  /** Used when the target's capacities are unknown (external server that declared none). */
  fallbackPrompts: number
  /** Other tier overrides of the phase (device tier, host tier, policy). */
  tiers?: Partial<TierPlan>
}

export const spillSizing = (s: SuiteSettings, o: SpillSizingOptions): SpillSizing => {
  const factor = o.factor ?? 1.5
  const exceeds = o.exceeds ?? 'device+host'
  const modeId = typeof o.mode === 'string' ? o.mode : o.mode.id
  const eff = s.expectedTiers(o.mode, o.tiers)
  const derived = spillPromptCount(eff, { exceeds, factor, promptTokens: o.promptTokens })
  const prompts = Math.max(o.minPrompts ?? 1, derived ?? o.fallbackPrompts)
  const workingSetTokens = prompts * o.promptTokens
  const tiers = diskTierHolding(s, o.mode, o.tiers ?? {}, prompts * (o.promptTokens + o.outputTokens))
  return {
    prompts,
    promptTokens: o.promptTokens,
    workingSetTokens,
    tiers,
    claim: { tokens: workingSetTokens, exceeds, factor: o.claimFactor ?? 1.2, fitsDisk: kvModeHasDiskTier(modeId) },
    upperTokens: eff.device_kv_tokens === null ? null : eff.device_kv_tokens + (exceeds === 'device+host' ? (eff.host_tier_tokens ?? 0) : 0),
  }
}

/**
 * The tier overrides with a disk tier that holds `tokens` (+30 %): unchanged when the disk tier the
 * target will have already does (so a profile's own small disk tier stays small), grown otherwise.
 */
export const diskTierHolding = (s: SuiteSettings, mode: KvModeId | KvMode, tiers: Partial<TierPlan>, tokens: number): Partial<TierPlan> => {
  const modeId = typeof mode === 'string' ? mode : mode.id
  if (!kvModeHasDiskTier(modeId)) return { ...tiers }
  const need = Math.ceil((1.3 * tokens) / s.model.tokens_per_block) * s.model.tokens_per_block
  const have = s.expectedTiers(mode, tiers).disk_tier_tokens
  if (have !== null && have >= need) return { ...tiers }
  return { ...tiers, disk_tier_bytes: (need / s.model.tokens_per_block) * s.blockBytes }
}
