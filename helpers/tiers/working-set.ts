import type { EffectiveTiers } from './tier-plan'

// Working sets sized from the capacities a target really has, so the same suite spills on kvsim, on
// a Spark and on an H100 box: "populate factor x (device + host) worth of distinct prefixes, then
// replay". The preflight checks the same claim against the capacities the driver reported before
// any load is sent: a working set that fits the upper tiers is a setup problem with the numbers.

/** Which upper tiers the working set must overflow for the phase's claim to be testable. */
export type UpperTiers = 'device' | 'device+host'

export interface WorkingSetClaim {
  /** Distinct KV the phase sends, in tokens (prompt count x prompt tokens). */
  tokens: number
  /** Tiers the working set must overflow. */
  exceeds: UpperTiers
  /** By how much: tokens >= factor x upper-tier tokens. */
  factor: number
  /** The disk tier must hold the whole working set (a replay reads it back from disk). */
  fitsDisk?: boolean
}

export const upperTierTokens = (eff: EffectiveTiers, exceeds: UpperTiers): number | null => {
  if (eff.device_kv_tokens === null) return null
  if (exceeds === 'device') return eff.device_kv_tokens
  return eff.host_tier_tokens === null ? null : eff.device_kv_tokens + eff.host_tier_tokens
}

/** Distinct prompts of `promptTokens` each that overflow the upper tiers by `factor`; null when a capacity is unknown. */
export const spillPromptCount = (eff: EffectiveTiers, o: { exceeds: UpperTiers; factor: number; promptTokens: number }): number | null => {
  const upper = upperTierTokens(eff, o.exceeds)
  if (upper === null) return null
  return Math.max(1, Math.ceil((o.factor * upper) / o.promptTokens))
}

export type WorkingSetCheck =
  | { ok: true; upper_tokens: number | null; message: string }
  | { ok: false; code: 'WORKING_SET_FITS_UPPER_TIERS' | 'WORKING_SET_EXCEEDS_DISK_TIER'; upper_tokens: number | null; message: string }

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** The claim against effective capacities. Unknown capacities cannot refute it (ok, said so in the message). */
export const checkWorkingSet = (claim: WorkingSetClaim, eff: EffectiveTiers): WorkingSetCheck => {
  const upper = upperTierTokens(eff, claim.exceeds)
  if (upper === null)
    return { ok: true, upper_tokens: null, message: `${claim.exceeds} capacity unknown: working set of ${fmt(claim.tokens)} tokens not checked` }
  const need = claim.factor * upper
  if (claim.tokens < need)
    return {
      ok: false,
      code: 'WORKING_SET_FITS_UPPER_TIERS',
      upper_tokens: upper,
      message:
        `Expected a working set >= ${claim.factor} x ${claim.exceeds} = ${fmt(need)} tokens, got ${fmt(claim.tokens)} ` +
        `(device ${fmt(eff.device_kv_tokens ?? 0)} [${eff.source.device_kv_tokens}], host ${fmt(eff.host_tier_tokens ?? 0)} [${eff.source.host_tier_tokens}]): ` +
        'it fits the upper tiers, so nothing would reach the disk tier. Size the working set from the effective tiers or shrink the tier plan.',
    }
  if (claim.fitsDisk && eff.disk_tier_tokens !== null && claim.tokens > eff.disk_tier_tokens)
    return {
      ok: false,
      code: 'WORKING_SET_EXCEEDS_DISK_TIER',
      upper_tokens: upper,
      message:
        `Expected the disk tier to hold the working set of ${fmt(claim.tokens)} tokens, got ${fmt(eff.disk_tier_tokens)} ` +
        `[${eff.source.disk_tier_tokens}]: replays would miss the disk too. Grow disk_tier_bytes in the tier plan.`,
    }
  return { ok: true, upper_tokens: upper, message: `working set ${fmt(claim.tokens)} tokens >= ${claim.factor} x ${claim.exceeds} (${fmt(upper)})` }
}
