import { z } from 'zod'

// A phase's tier plan in the harness's own words, never a driver's: how much KV the device tier
// should hold, how large the host and disk tiers are, and how they evict. Each target driver /
// tiering backend maps it to its own flags, env, YAML or JSON, and reports the capacities it
// really got (EffectiveTiers): working sets are sized from those, so a suite spills on kvsim, on a
// Spark and on an H100 box alike.

export const EvictionPolicy = z.enum(['lru', 'lfu'])
export type EvictionPolicy = z.infer<typeof EvictionPolicy>

export const TierPlan = z.object({
  /** Device (G1) KV capacity to ask the engine for, in tokens; null = the engine's own default. */
  device_kv_tokens: z.int().positive().nullable().default(null),
  /** Host (G2) tier size in bytes; 0 = no host tier. */
  host_tier_bytes: z.int().nonnegative().default(0),
  /** Disk (G3) tier size in bytes; 0 = no disk tier. */
  disk_tier_bytes: z.int().nonnegative().default(0),
  /** Eviction policy of the offload tiers; a backend that cannot run it says so (not applicable). */
  eviction_policy: EvictionPolicy.default('lru'),
})
export type TierPlan = z.infer<typeof TierPlan>

/**
 * Where an effective capacity was read: configured by us, printed by the engine, scraped, or only
 * declared by the user; `estimated` is a prediction before the engine runs (memory arithmetic).
 */
export const CapacitySource = z.enum(['configured', 'engine-log', 'metrics', 'props', 'declared', 'estimated', 'unknown'])
export type CapacitySource = z.infer<typeof CapacitySource>

/** The capacities a running server really has, in tokens (null = not known: never guessed as 0). */
export const EffectiveTiers = z.object({
  /** Tokens per KV block of the engine (KVBM/TRT-LLM 32, vLLM 16, SGLang page size 1…). */
  block_tokens: z.int().positive().nullable(),
  /** KV bytes per token at the engine's KV dtype, for bytes <-> tokens. */
  kv_bytes_per_token: z.number().positive().nullable(),
  device_kv_tokens: z.number().nonnegative().nullable(),
  host_tier_tokens: z.number().nonnegative().nullable(),
  disk_tier_tokens: z.number().nonnegative().nullable(),
  source: z.object({
    device_kv_tokens: CapacitySource,
    host_tier_tokens: CapacitySource,
    disk_tier_tokens: CapacitySource,
  }),
})
export type EffectiveTiers = z.infer<typeof EffectiveTiers>
