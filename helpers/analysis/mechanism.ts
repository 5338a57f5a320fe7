// Mechanism signals from one phase's KVBM counter deltas (seed 002 P4; dynamo-kvbm.md names).
// Only counter deltas count: the windowed hit-rate gauges are never per-phase evidence. Host
// onboarding (Δonboard_blocks_h2d, host→device) NEVER counts as disk: the prior harness summed it
// into "onboard" and booked host-tier reuse as SSD rehydrate. A counter that was not scraped gives
// `unknown`, never false, so a missing metric cannot pass as "no activity".

export type Tri = boolean | 'unknown'

export type KvbmDeltas = Record<string, number | null | undefined>

/**
 * One KVBM counter delta by short name (`offload_blocks_h2d`), accepting the spellings collectors
 * use: `kvbm_offload_blocks_h2d_delta`, `kvbm_offload_blocks_h2d`, `offload_blocks_h2d`.
 */
export const kvbmDelta = (deltas: KvbmDeltas | null | undefined, name: string): number | null => {
  if (!deltas) return null
  for (const key of [`kvbm_${name}_delta`, `kvbm_${name}`, name]) {
    const v = deltas[key]
    if (typeof v === 'number' && Number.isFinite(v)) return v
  }
  return null
}

/** OR over counters: true if any is > 0, false only if all are known and 0, else unknown. */
const anyPositive = (values: (number | null)[]): Tri => {
  if (values.some((v) => v !== null && v > 0)) return true
  return values.every((v) => v !== null) ? false : 'unknown'
}

export interface MechanismSignals {
  /** Blocks written to disk: Δoffload_blocks_h2d (host→disk) or Δoffload_blocks_d2d (device→disk). */
  write: Tri
  /** Blocks read back from disk: Δonboard_blocks_d2d (disk→device). */
  disk_rehydrate: Tri
  /** Δmatched_tokens > 0. */
  reuse: Tri
  /** Δonboard_blocks_h2d > 0 (host tier served blocks; not disk). */
  host_onboard: Tri
  /** Δoffload_blocks_d2h > 0 (device spilled to host). */
  host_offload: Tri
  counters: {
    offload_blocks_d2h: number | null
    offload_blocks_h2d: number | null
    offload_blocks_d2d: number | null
    onboard_blocks_h2d: number | null
    onboard_blocks_d2d: number | null
    matched_tokens: number | null
  }
}

export const mechanismSignals = (deltas: KvbmDeltas | null | undefined): MechanismSignals => {
  const c = {
    offload_blocks_d2h: kvbmDelta(deltas, 'offload_blocks_d2h'),
    offload_blocks_h2d: kvbmDelta(deltas, 'offload_blocks_h2d'),
    offload_blocks_d2d: kvbmDelta(deltas, 'offload_blocks_d2d'),
    onboard_blocks_h2d: kvbmDelta(deltas, 'onboard_blocks_h2d'),
    onboard_blocks_d2d: kvbmDelta(deltas, 'onboard_blocks_d2d'),
    matched_tokens: kvbmDelta(deltas, 'matched_tokens'),
  }
  return {
    write: anyPositive([c.offload_blocks_h2d, c.offload_blocks_d2d]),
    disk_rehydrate: anyPositive([c.onboard_blocks_d2d]),
    reuse: anyPositive([c.matched_tokens]),
    host_onboard: anyPositive([c.onboard_blocks_h2d]),
    host_offload: anyPositive([c.offload_blocks_d2h]),
    counters: c,
  }
}

/** Blocks written to the disk tier (h2d + d2d); null when either counter is missing. */
export const diskOffloadBlocks = (deltas: KvbmDeltas | null | undefined): number | null => {
  const h2d = kvbmDelta(deltas, 'offload_blocks_h2d')
  const d2d = kvbmDelta(deltas, 'offload_blocks_d2d')
  return h2d === null || d2d === null ? null : h2d + d2d
}

/** Every disk-tier block movement (writes + disk reads); B1 must keep it at 0. */
export const diskTierBlocks = (deltas: KvbmDeltas | null | undefined): number | null => {
  const w = diskOffloadBlocks(deltas)
  const r = kvbmDelta(deltas, 'onboard_blocks_d2d')
  return w === null || r === null ? null : w + r
}

/**
 * Tier-2 (disk) share of onboarded blocks, percent: Δonboard_d2d / (Δonboard_d2d + Δonboard_h2d).
 * The v3.0 "tier2 hits >= 20 % at the knee" gate reads this. Null with no onboarding or a missing counter.
 */
export const tier2HitPct = (deltas: KvbmDeltas | null | undefined): number | null => {
  const d2d = kvbmDelta(deltas, 'onboard_blocks_d2d')
  const h2d = kvbmDelta(deltas, 'onboard_blocks_h2d')
  if (d2d === null) return null
  // B3 has no host tier: a missing h2d counter there means 0 host onboards, not unknown.
  const host = h2d ?? 0
  return d2d + host > 0 ? (100 * d2d) / (d2d + host) : null
}
