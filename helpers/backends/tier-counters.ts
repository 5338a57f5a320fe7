// One tier-transition vocabulary for every tiering backend (ARCHITECTURE.md "Tiering backends and
// tier plans"). Each backend's normaliser maps its own metric names onto these; mechanism gates read
// only these names, never `kvbm_*`. Units are tokens so that backends with different block sizes
// compare; a backend counting blocks multiplies by its block size. A series the backend does not
// export is null ("unavailable"), never 0: a missing counter must not pass as "no activity".

export const TIER_COUNTER_NAMES = [
  /** offload device (G1) -> host (G2) */
  'offload_device_to_host_tokens',
  /** offload host (G2) -> disk (G3) */
  'offload_host_to_disk_tokens',
  /** offload device (G1) -> disk (G3) directly (B3, or backends that write through) */
  'offload_device_to_disk_tokens',
  /** onboard host (G2) -> device (G1) */
  'onboard_host_to_device_tokens',
  /** onboard disk (G3) -> device or host */
  'onboard_disk_to_device_tokens',
  /** prompt tokens served from cache, by source */
  'cached_prompt_tokens_device',
  'cached_prompt_tokens_host',
  'cached_prompt_tokens_disk',
  /** every prompt token served from any cache (when the split by source is unknown) */
  'cached_prompt_tokens_total',
  /**
   * prompt tokens served from the offload tiers (host or disk, not device) when the split by tier is
   * unknown: KVBM matched_tokens, vLLM external_prefix_cache_hits, LMCache num_hit_tokens. Added by #14
   * for NO_KV_REUSE, which asks whether the offload layer served anything at all.
   */
  'cached_prompt_tokens_offloaded',
] as const
export type TierCounterName = (typeof TIER_COUNTER_NAMES)[number]

/** Cumulative values of a scrape, or a phase's deltas; null = unavailable on this backend. */
export type TierCounters = Record<TierCounterName, number | null>

export const emptyTierCounters = (): TierCounters =>
  Object.fromEntries(TIER_COUNTER_NAMES.map((n) => [n, null])) as TierCounters

/** a - b per counter; null when either is null (a missing series stays unavailable). */
const minus = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b)

/**
 * Phase deltas of two normalised scrapes. A series missing at the start but present at the end was
 * created during the phase (lazy series start at 0); a value that went down is a counter reset, and
 * the delta is the value after the reset. Missing at the end = unavailable.
 */
export const tierCounterDeltas = (start: TierCounters | null, end: TierCounters | null): { deltas: TierCounters; resets: TierCounterName[] } => {
  const deltas = emptyTierCounters()
  const resets: TierCounterName[] = []
  if (!end) return { deltas, resets }
  for (const n of TIER_COUNTER_NAMES) {
    const e = end[n]
    if (e === null) continue
    const s = start?.[n] ?? null
    if (s === null) deltas[n] = start ? e : null
    else if (e < s) {
      deltas[n] = e
      resets.push(n)
    } else deltas[n] = minus(e, s)
  }
  return { deltas, resets }
}

/** Sum of the known values; null only when every value is unavailable. */
export const sumKnown = (...xs: (number | null)[]): number | null => {
  const known = xs.filter((x): x is number => x !== null)
  return known.length === 0 ? null : known.reduce((a, x) => a + x, 0)
}
