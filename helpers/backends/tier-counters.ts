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
] as const
export type TierCounterName = (typeof TIER_COUNTER_NAMES)[number]

/** Cumulative values of a scrape, or a phase's deltas; null = unavailable on this backend. */
export type TierCounters = Record<TierCounterName, number | null>

export const emptyTierCounters = (): TierCounters =>
  Object.fromEntries(TIER_COUNTER_NAMES.map((n) => [n, null])) as TierCounters
