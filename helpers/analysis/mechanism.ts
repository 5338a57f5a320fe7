import { KVBM_BLOCK_COUNTERS } from '../backends/kvbm'
import { TIER_COUNTER_NAMES, type TierCounters, emptyTierCounters, sumKnown } from '../backends/tier-counters'

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

// --- Normalised tier counters (any tiering backend; reference tiering-backends.md) ---
// Mechanism gates read a phase's `deltas.tiers` (tier-counters.ts, tokens), never kvbm_* names.
// Where the backend has no counter for a transition (LMCache v1 has no host-vs-disk split, vLLM's
// fs series appear only after the first event) the figure falls back to OS evidence: storage-level
// bytes of the engine's processes (/proc/<pid>/io, which excludes page-cache hits), accepted only
// when they can only be disk-tier IO: O_DIRECT confirmed on the files held open under the cache
// dir, or the page cache dropped; an empty cache dir means nothing was on disk to read (0). Every
// figure says which evidence it used; without either it is null ("no data"), never 0.

/** A phase's deltas as the phase record keeps them (per source). */
export type PhaseDeltas = Record<string, Record<string, number | null> | null | undefined> | null | undefined

export type TierEvidence = 'counters' | 'os'

export interface TierFigure {
  /** Tokens when evidence = counters; bytes when evidence = os; null = no data. */
  value: number | null
  evidence: TierEvidence | null
  unit: 'tokens' | 'bytes' | null
  /** Why the figure is what it is (which counters, which OS proof, or why there is none). */
  basis: string
}

const KVBM_FALLBACK_BLOCK_TOKENS = 32

/**
 * The normalised tier deltas of a phase: `deltas.tiers` when telemetry recorded them, else derived
 * from KVBM deltas (records written before tiers existed; 32-token KVBM blocks).
 */
export const phaseTierDeltas = (d: PhaseDeltas): TierCounters => {
  const t = d?.tiers
  const out = emptyTierCounters()
  if (t) {
    for (const n of TIER_COUNTER_NAMES) out[n] = typeof t[n] === 'number' ? (t[n] as number) : null
    return out
  }
  const k = d?.kvbm
  if (!k) return out
  const blocks = (n: string) => {
    const v = kvbmDelta(k, n)
    return v === null ? null : v * KVBM_FALLBACK_BLOCK_TOKENS
  }
  for (const [tier, kvbm] of KVBM_BLOCK_COUNTERS) out[tier] = blocks(kvbm)
  out.cached_prompt_tokens_offloaded = kvbmDelta(k, 'matched_tokens')
  return out
}

const counters = (value: number | null, names: string): TierFigure | null =>
  value === null ? null : { value, evidence: 'counters', unit: 'tokens', basis: `normalised tier counters: ${names}` }

const osFigure = (d: PhaseDeltas, kind: 'read' | 'write'): TierFigure => {
  const os = d?.tier_os
  const none = (basis: string): TierFigure => ({ value: null, evidence: null, unit: null, basis })
  if (!os) return none('no tier counter for this transition and no OS evidence recorded')
  const bytes = (kind === 'read' ? (os.process_read_bytes ?? os.cgroup_read_bytes) : (os.process_write_bytes ?? os.cgroup_write_bytes)) ?? null
  if (bytes === null) return none(`no tier counter for this transition and no ${kind} bytes of the engine's processes (/proc/<pid>/io, cgroup io.stat)`)
  if (os.cache_dir_files_after === 0 && (os.cache_open_files ?? 0) === 0)
    return { value: 0, evidence: 'os', unit: 'bytes', basis: `OS: the disk-tier cache dir held no files and none were open, so no disk-tier ${kind}s (engine processes: ${bytes} B ${kind} elsewhere)` }
  if (os.o_direct_confirmed === 1) return { value: bytes, evidence: 'os', unit: 'bytes', basis: `OS: ${bytes} B ${kind} by the engine's processes, disk-tier files open with O_DIRECT (fdinfo)` }
  if (os.page_cache_dropped === 1) return { value: bytes, evidence: 'os', unit: 'bytes', basis: `OS: ${bytes} B ${kind} by the engine's processes with the page cache dropped` }
  // Buffered writes still reach storage (write_bytes counts dirtied pages); buffered reads may be RAM hits.
  if (kind === 'write' && (os.cache_dir_files_after ?? 0) + (os.cache_open_files ?? 0) > 0)
    return { value: bytes, evidence: 'os', unit: 'bytes', basis: `OS: ${bytes} B written by the engine's processes, files present under the disk-tier cache dir` }
  return none(`no tier counter for this transition; the engine's ${bytes} B of ${kind}s cannot be tied to the disk tier (no O_DIRECT confirmed, page cache not dropped)`)
}

/** Tokens written to the disk tier (host→disk + device→disk) — NO_DISK_OFFLOAD. */
export const diskOffloadFigure = (d: PhaseDeltas): TierFigure => {
  const t = phaseTierDeltas(d)
  return counters(sumKnown(t.offload_host_to_disk_tokens, t.offload_device_to_disk_tokens), 'offload_host_to_disk + offload_device_to_disk') ?? osFigure(d, 'write')
}

/** Tokens read back from the disk tier (disk→device onboards, else cached-from-disk) — NO_DISK_REHYDRATE. Host onboarding never counts. */
export const diskRehydrateFigure = (d: PhaseDeltas): TierFigure => {
  const t = phaseTierDeltas(d)
  return (
    counters(t.onboard_disk_to_device_tokens, 'onboard_disk_to_device') ??
    counters(t.cached_prompt_tokens_disk, 'cached_prompt_tokens_disk') ??
    osFigure(d, 'read')
  )
}

/** Prompt tokens served from the offload tiers (host or disk) — NO_KV_REUSE. Counters only. */
export const offloadReuseFigure = (d: PhaseDeltas): TierFigure => {
  const t = phaseTierDeltas(d)
  return (
    counters(t.cached_prompt_tokens_offloaded, 'cached_prompt_tokens_offloaded') ??
    counters(sumKnown(t.cached_prompt_tokens_host, t.cached_prompt_tokens_disk), 'cached_prompt_tokens_host + cached_prompt_tokens_disk') ??
    counters(sumKnown(t.onboard_host_to_device_tokens, t.onboard_disk_to_device_tokens), 'onboard_host_to_device + onboard_disk_to_device') ?? {
      value: null,
      evidence: null,
      unit: null,
      basis: 'the backend exports no offload-tier reuse counter',
    }
  )
}

/** Every disk-tier movement (writes + reads) — B1 must keep it at 0 (B1_DISK_TIER_ACTIVE). */
export const diskTierActivityFigure = (d: PhaseDeltas): TierFigure => {
  const t = phaseTierDeltas(d)
  const c = counters(
    sumKnown(t.offload_host_to_disk_tokens, t.offload_device_to_disk_tokens, t.onboard_disk_to_device_tokens, t.cached_prompt_tokens_disk),
    'offload_host_to_disk + offload_device_to_disk + onboard_disk_to_device + cached_prompt_tokens_disk',
  )
  if (c) return c
  const os = d?.tier_os
  if (os && os.cache_open_files !== null && os.cache_open_files !== undefined)
    return { value: os.cache_open_files, evidence: 'os', unit: null, basis: `OS: ${os.cache_open_files} file(s) held open under the cache dir` }
  return { value: null, evidence: null, unit: null, basis: 'no disk-tier counters and no cache dir to watch' }
}

/**
 * Disk share of lower-tier onboarding, percent — TIER2_HITS_LOW: disk / (disk + host), from onboard
 * counters or, when the backend only splits cached tokens by tier, from those. Null without a disk
 * figure or without onboarding; a missing host counter counts as 0 (B3 has no host tier).
 */
export const tier2HitPctOf = (d: PhaseDeltas): number | null => {
  const t = phaseTierDeltas(d)
  const byOnboard = t.onboard_disk_to_device_tokens !== null
  const disk = byOnboard ? t.onboard_disk_to_device_tokens : t.cached_prompt_tokens_disk
  const host = byOnboard ? t.onboard_host_to_device_tokens : t.cached_prompt_tokens_host
  if (disk === null) return null
  const h = host ?? 0
  return disk + h > 0 ? (100 * disk) / (disk + h) : null
}

/** Gate input of a figure: its value, with the evidence used in the details. */
export const figureInput = (f: TierFigure, details: Record<string, unknown> = {}) => ({
  value: f.value,
  details: { evidence: f.evidence ?? 'none', unit: f.unit, basis: f.basis, ...details },
})

/** Sums a figure over phases: counters if every known phase used them, null only when all are null. */
export const sumFigures = (fs: TierFigure[]): TierFigure => {
  const known = fs.filter((f) => f.value !== null)
  if (known.length === 0) return fs[0] ?? { value: null, evidence: null, unit: null, basis: 'no phases' }
  const evidence = known.every((f) => f.evidence === 'counters') ? 'counters' : known.every((f) => f.evidence === 'os') ? 'os' : known[0]!.evidence
  const unit = new Set(known.map((f) => f.unit)).size === 1 ? known[0]!.unit : null
  return { value: known.reduce((a, f) => a + f.value!, 0), evidence, unit, basis: [...new Set(known.map((f) => f.basis))].join('; ') }
}
