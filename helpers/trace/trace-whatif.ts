import { MOONCAKE_BLOCK_TOKENS, type MooncakeRow } from '../workload/mooncake-trace'
import { type StackDistances, stackDistances } from './stack-distance'

// What a trace promises a tiered KV cache, from the trace alone (no server): the ideal hit ratio
// with an infinite cache, the LRU hit ratio at every cache size (one stack-distance pass), the
// reuse-distance distribution, and, given tier capacities, the prompt tokens each tier would serve
// and the bytes the disk tier would read per second at the trace's own rate.
//
// Units: a trace block is `blockTokens` (512) trace tokens; replayed with `lengthScale` it is
// 512 x lengthScale target tokens. Capacities and token counts reported here are target tokens.

export interface WhatIfOptions {
  /** Trace tokens per hash_id. @default 512 */
  blockTokens?: number
  /** Multiplier the replay applies to lengths (capacities are compared at the replayed size). @default 1 */
  lengthScale?: number
  /** Multiplier the replay applies to time (0.25 = 4x faster). @default 1 */
  timeScale?: number
  /** KV bytes per target token (model profile), for bytes and bytes/s; null = not known. */
  kvBytesPerToken?: number | null
  /** Curve points (log-spaced cache sizes). @default 96 */
  curvePoints?: number
}

export interface HitCurvePoint {
  cache_blocks: number
  cache_tokens: number
  cache_bytes: number | null
  /** Share of block accesses served (prefix semantics). */
  block_hit_ratio: number
  /** Share of prompt tokens served. */
  token_hit_ratio: number
}

export interface ReuseBucket {
  /** Stack distance range [lo, hi) in trace blocks. */
  distance_lo: number
  distance_hi: number
  accesses: number
  share: number
}

export interface TraceWhatIf {
  rows: number
  accesses: number
  unique_blocks: number
  /** Trace tokens per block, and target tokens per block (x lengthScale). */
  block_tokens: number
  target_block_tokens: number
  prompt_tokens: number
  /** Replayed duration (trace span x timeScale), s; null for a single instant. */
  duration_s: number | null
  requests_per_s: number | null
  kv_bytes_per_token: number | null
  ideal_block_hit_ratio: number
  ideal_token_hit_ratio: number
  /** Blocks an LRU needs to reach the ideal ratio (max finite prefix distance + 1). */
  blocks_for_ideal: number
  reuse_distance_p50: number | null
  reuse_distance_p90: number | null
  reuse_distance_p99: number | null
  cold_accesses: number
  curve: HitCurvePoint[]
  reuse: ReuseBucket[]
}

/** Capacities in target tokens (the shape of a TierPlan's effective capacities); null or 0 = no such tier. */
export interface TierCapacities {
  device_tokens: number | null
  host_tokens: number | null
  disk_tokens: number | null
  /** Prior uses a block needs before the disk tier holds it (KVBM's offload filter: 2; filter off: 1). @default 1 */
  disk_min_prior_uses?: number
}

export interface TierPrediction {
  device_hit_tokens: number
  host_hit_tokens: number
  disk_hit_tokens: number
  cached_tokens: number
  prompt_tokens: number
  token_hit_ratio: number
  /** Disk-served KV bytes (disk_hit_tokens x KV bytes per token); null without a model profile. */
  disk_read_bytes: number | null
  /** At the replayed rate; null without a duration or a model profile. */
  disk_read_bytes_per_s: number | null
}

export interface TraceAnalysis {
  whatIf: TraceWhatIf
  /** Hit ratios at an exact cache size in trace blocks. */
  hitAt(cacheBlocks: number): { block_hit_ratio: number; token_hit_ratio: number }
  /** Tokens each tier would serve (inclusive tiers, LRU, prefix semantics) at these capacities. */
  predict(caps: TierCapacities): TierPrediction
}

const quantile = (sorted: Float64Array, q: number): number | null =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]

/** First index whose value is >= x (sorted ascending). */
const lowerBound = (a: Float64Array, x: number): number => {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (a[mid] < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

export const analyzeTrace = (rows: readonly MooncakeRow[], o: WhatIfOptions = {}): TraceAnalysis => {
  const blockTokens = o.blockTokens ?? MOONCAKE_BLOCK_TOKENS
  const lengthScale = o.lengthScale ?? 1
  const timeScale = o.timeScale ?? 1
  const kvBytes = o.kvBytesPerToken ?? null
  const targetBlock = blockTokens * lengthScale
  const sd: StackDistances = stackDistances(rows, blockTokens)
  const n = sd.accesses
  const totalTokens = sd.promptTokens

  // Finite prefix distances sorted with their token weights: hit(C) = weight of entries < C.
  const order: number[] = []
  for (let i = 0; i < n; i++) if (Number.isFinite(sd.prefix[i])) order.push(i)
  order.sort((a, b) => sd.prefix[a] - sd.prefix[b])
  const sortedPrefix = new Float64Array(order.length)
  const cumTokens = new Float64Array(order.length + 1)
  for (let k = 0; k < order.length; k++) {
    sortedPrefix[k] = sd.prefix[order[k]]
    cumTokens[k + 1] = cumTokens[k] + sd.tokens[order[k]]
  }
  const raw: number[] = []
  for (let i = 0; i < n; i++) if (Number.isFinite(sd.distance[i])) raw.push(sd.distance[i])
  const sortedRaw = Float64Array.from(raw).sort()

  const hitAt = (cacheBlocks: number) => {
    const k = lowerBound(sortedPrefix, cacheBlocks)
    return { block_hit_ratio: n ? k / n : 0, token_hit_ratio: totalTokens ? cumTokens[k] / totalTokens : 0 }
  }
  const maxFinite = sortedPrefix.length ? sortedPrefix[sortedPrefix.length - 1] : 0
  const blocksForIdeal = maxFinite + 1
  const points = Math.max(2, o.curvePoints ?? 96)
  const sizes = new Set<number>([1])
  const top = Math.max(2, blocksForIdeal * 1.25)
  for (let p = 0; p < points; p++) sizes.add(Math.max(1, Math.round(Math.exp((Math.log(top) * p) / (points - 1)))))
  sizes.add(blocksForIdeal)
  const curve: HitCurvePoint[] = [...sizes]
    .sort((a, b) => a - b)
    .map((c) => ({ cache_blocks: c, cache_tokens: c * targetBlock, cache_bytes: kvBytes === null ? null : c * targetBlock * kvBytes, ...hitAt(c) }))

  // Reuse distances in power-of-two buckets: [0,1), [1,2), [2,4), ...
  const reuse: ReuseBucket[] = []
  if (sortedRaw.length) {
    let lo = 0
    let hi = 1
    while (lo <= sortedRaw[sortedRaw.length - 1]) {
      const count = lowerBound(sortedRaw, hi) - lowerBound(sortedRaw, lo)
      reuse.push({ distance_lo: lo, distance_hi: hi, accesses: count, share: n ? count / n : 0 })
      lo = hi
      hi *= 2
    }
  }

  const first = rows.length ? rows[0].timestamp : 0
  const last = rows.length ? rows[rows.length - 1].timestamp : 0
  const span = ((last - first) / 1000) * timeScale
  const duration = span > 0 ? span : null
  const ideal = hitAt(Number.POSITIVE_INFINITY)

  const whatIf: TraceWhatIf = {
    rows: rows.length,
    accesses: n,
    unique_blocks: sd.uniqueBlocks,
    block_tokens: blockTokens,
    target_block_tokens: targetBlock,
    prompt_tokens: totalTokens * lengthScale,
    duration_s: duration,
    requests_per_s: duration ? rows.length / duration : null,
    kv_bytes_per_token: kvBytes,
    ideal_block_hit_ratio: ideal.block_hit_ratio,
    ideal_token_hit_ratio: ideal.token_hit_ratio,
    blocks_for_ideal: blocksForIdeal,
    reuse_distance_p50: quantile(sortedRaw, 0.5),
    reuse_distance_p90: quantile(sortedRaw, 0.9),
    reuse_distance_p99: quantile(sortedRaw, 0.99),
    cold_accesses: n - sortedRaw.length,
    curve,
    reuse,
  }

  const predict = (caps: TierCapacities): TierPrediction => {
    const blocks = (t: number | null) => (t && t > 0 ? t / targetBlock : 0)
    const c1 = blocks(caps.device_tokens)
    // Inclusive tiers (KVBM writes every registered block through to host): a block is served by
    // the fastest tier large enough for its distance.
    const c2 = Math.max(c1, blocks(caps.host_tokens))
    const c3 = Math.max(c2, blocks(caps.disk_tokens))
    const minUses = caps.disk_min_prior_uses ?? 1
    let dev = 0
    let host = 0
    let disk = 0
    let served = true
    for (let i = 0; i < n; i++) {
      if (i === 0 || sd.row[i] !== sd.row[i - 1]) served = true
      if (!served) continue
      // A row is served while every block so far was; each block counts for the tier it sits in.
      const d = sd.distance[i]
      const w = sd.tokens[i]
      if (d < c1) dev += w
      else if (d < c2) host += w
      else if (d < c3 && sd.priorUses[i] >= minUses) disk += w
      else served = false
    }
    const s = lengthScale
    const cached = (dev + host + disk) * s
    const diskBytes = kvBytes === null ? null : disk * s * kvBytes
    return {
      device_hit_tokens: dev * s,
      host_hit_tokens: host * s,
      disk_hit_tokens: disk * s,
      cached_tokens: cached,
      prompt_tokens: totalTokens * s,
      token_hit_ratio: totalTokens ? cached / (totalTokens * s) : 0,
      disk_read_bytes: diskBytes,
      disk_read_bytes_per_s: diskBytes !== null && duration ? diskBytes / duration : null,
    }
  }

  return { whatIf, hitAt, predict }
}
