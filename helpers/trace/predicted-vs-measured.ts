import { diskRehydrateFigure, type PhaseDeltas, phaseTierDeltas } from '../analysis/mechanism'
import type { TierCounters } from '../backends/tier-counters'
import type { PhaseOutcome } from '../suite/define-hypothesis'
import type { TierPrediction } from './trace-whatif'

// One row per mode: what the trace's what-if promised at the mode's tier capacities next to what
// the server delivered. Measured by source from the normalised tier counters (any backend dialect):
// cached prompt tokens by source when the backend splits them, else host/disk onboard tokens; the
// device share is the reported cached total minus the lower tiers. The cached total is the sum of
// the responses' cached tokens (llama.cpp cache_n, usage.prompt_tokens_details), else the backend's
// cached_prompt_tokens_total. A figure the target does not expose stays null (never 0), and a ratio
// against a prediction too small to judge is null.

export interface PredictedVsMeasured {
  mode: string
  emulated: boolean
  rows_sent: number
  rows_skipped_oversize: number
  rows_clipped_oversize: number
  rows_skipped_at_run_time: number
  predicted_cached_tokens: number
  measured_cached_tokens: number | null
  cached_measured_over_predicted: number | null
  predicted_device_tokens: number
  measured_device_tokens: number | null
  predicted_host_tokens: number
  measured_host_tokens: number | null
  predicted_disk_tokens: number
  measured_disk_tokens: number | null
  disk_measured_over_predicted: number | null
  /** Host + disk when the backend only reports their sum (KVBM matched_tokens, vLLM external hits, LMCache hits). */
  measured_offload_tokens: number | null
  /** Where measured_cached_tokens came from: the responses, a server counter, or nothing. */
  measured_cached_source: string | null
  /** The backend's cached_prompt_tokens_total over the phase, next to the responses' sum as a cross-check. */
  counter_cached_tokens: number | null
  /** Which normalised counters gave the device / host / disk split, or why there is none. */
  measured_by_source_basis: string
  ttft_p50_ms: number | null
  ttft_p99_ms: number | null
  duration_s: number | null
  predicted_disk_read_bytes_per_s: number | null
  /** The prediction in the target's own bytes: kvsim writes G3 blocks 1/io_scale of their real size. */
  predicted_disk_read_bytes_per_s_at_target: number | null
  measured_disk_read_bytes_per_s: number | null
  /** Which counter the measured bytes came from. */
  measured_disk_read_source: string | null
}

export interface CompareOptions {
  mode: string
  emulated: boolean
  prediction: TierPrediction
  /** Engine tokens per KV block (onboard counters count blocks). */
  tokensPerBlock: number
  /** Replay duration the prediction assumed (s); null = use the measured one. */
  plannedDurationS: number | null
  rows: { sent: number; skipped: number; clipped: number; skippedAtRunTime: number }
  /** Divisor of KV bytes on the target (kvsim's --io-scale, from its provenance); 1 elsewhere. */
  bytesDivisor?: number
  /** Lower tiers the mode has: a tier the mode lacks served nothing, so the device share needs no counter for it. @default both */
  tiers?: { host: boolean; disk: boolean }
  /**
   * The model's KV bytes per token: without a disk counter (LMCache v1), disk-tier reads the OS
   * proves (O_DIRECT, mechanism.ts) become tokens at bytes x bytesDivisor / this. Unset = counters only.
   */
  kvBytesPerToken?: number
}

/** The cached total of a phase: the responses' own counts when any response reported one, else the backend's counter. */
const measuredCached = (o: PhaseOutcome, t: TierCounters): { value: number | null; source: string | null } => {
  // Records may be absent from a reduced outcome; the summary sums r.cached_tokens ?? 0, so only a reported count makes it data.
  const reported = o.requests ? o.requests.some((r) => typeof r.cached_tokens === 'number') : o.summary.cached_tokens > 0
  if (reported) return { value: o.summary.cached_tokens, source: 'responses (cached tokens per request)' }
  if (t.cached_prompt_tokens_total !== null) return { value: t.cached_prompt_tokens_total, source: 'counter cached_prompt_tokens_total' }
  return { value: null, source: null }
}

interface BySource {
  device: number | null
  host: number | null
  disk: number | null
  offload: number | null
  basis: string
}

/** Device / host / disk tokens from the normalised counters; null where the backend does not tell. */
export const measuredBySource = (t: TierCounters, cached: number | null, tiers: { host: boolean; disk: boolean }): BySource => {
  const basis: string[] = []
  const pick = (tier: string, byCache: number | null, byOnboard: number | null): number | null => {
    if (byCache !== null) basis.push(`${tier}: cached_prompt_tokens_${tier}`)
    else if (byOnboard !== null) basis.push(`${tier}: onboard_${tier}_to_device_tokens`)
    return byCache ?? byOnboard
  }
  const host = pick('host', t.cached_prompt_tokens_host, t.onboard_host_to_device_tokens)
  const disk = pick('disk', t.cached_prompt_tokens_disk, t.onboard_disk_to_device_tokens)
  const needHost = tiers.host ? host : 0
  const needDisk = tiers.disk ? disk : 0
  const split = needHost === null || needDisk === null ? null : needHost + needDisk
  const offload = t.cached_prompt_tokens_offloaded ?? (host !== null && disk !== null ? host + disk : null)
  if (t.cached_prompt_tokens_offloaded !== null) basis.push('offload: cached_prompt_tokens_offloaded')
  let device = t.cached_prompt_tokens_device
  if (device !== null) basis.push('device: cached_prompt_tokens_device')
  else if (cached !== null && (split !== null || (!tiers.host && !tiers.disk))) {
    device = Math.max(0, cached - (split ?? 0))
    basis.push(tiers.host || tiers.disk ? 'device: cached total minus host and disk' : 'device: the whole cached total (the mode has no lower tier)')
  } else if (cached !== null && (tiers.host || tiers.disk) && t.cached_prompt_tokens_offloaded !== null) {
    device = Math.max(0, cached - t.cached_prompt_tokens_offloaded)
    basis.push('device: cached total minus offloaded')
  }
  if (basis.length === 0) basis.push('the backend reports no split of cached tokens by tier')
  return { device, host, disk, offload, basis: basis.join('; ') }
}

/** measured / predicted, or null when either is missing or the prediction is under `floor` tokens. */
export const ratioOrNull = (measured: number | null, predicted: number, floor: number): number | null =>
  measured === null || !(predicted >= floor) ? null : measured / predicted

export const comparePredicted = (o: PhaseOutcome | undefined, c: CompareOptions): PredictedVsMeasured => {
  const t = o ? phaseTierDeltas(o.record.deltas as unknown as PhaseDeltas) : null
  const c0 = o && t ? measuredCached(o, t) : { value: null, source: null }
  const cached = c0.value
  const by = t ? measuredBySource(t, cached, c.tiers ?? { host: true, disk: true }) : { device: null, host: null, disk: null, offload: null, basis: 'phase not run' }
  // No disk counter: the disk-tier reads the OS can prove (the same evidence NO_DISK_REHYDRATE accepts), as tokens.
  if (o && by.disk === null && (c.tiers?.disk ?? true) && c.kvBytesPerToken) {
    // Commas become semicolons: the basis lands in a CSV cell that readers split naively.
    const f = diskRehydrateFigure(o.record.deltas as unknown as PhaseDeltas)
    if (f.evidence === 'os' && f.unit === 'bytes' && f.value !== null) {
      by.disk = Math.round((f.value * Math.max(1, c.bytesDivisor ?? 1)) / c.kvBytesPerToken)
      by.basis += `; disk: OS (${f.basis.replace(/,/g, ';')}) over ${c.kvBytesPerToken} KV bytes per token${(c.bytesDivisor ?? 1) > 1 ? ` / io_scale ${c.bytesDivisor}` : ''}`
    }
  }
  const { device, host, disk } = by
  const duration = o ? (o.record.t_end_ms - o.record.t_start_ms) / 1000 : null
  const p = c.prediction
  const pio = o?.record.deltas.process_io?.read_bytes ?? null
  const dev = o?.record.deltas.block_device?.read_bytes ?? null
  const readBytes = pio ?? dev
  const floor = 4 * c.tokensPerBlock
  const predictedDuration = c.plannedDurationS ?? duration
  return {
    mode: c.mode,
    emulated: c.emulated,
    rows_sent: c.rows.sent,
    rows_skipped_oversize: c.rows.skipped,
    rows_clipped_oversize: c.rows.clipped,
    rows_skipped_at_run_time: c.rows.skippedAtRunTime,
    predicted_cached_tokens: p.cached_tokens,
    measured_cached_tokens: cached,
    cached_measured_over_predicted: ratioOrNull(cached, p.cached_tokens, floor),
    predicted_device_tokens: p.device_hit_tokens,
    measured_device_tokens: device,
    predicted_host_tokens: p.host_hit_tokens,
    measured_host_tokens: host,
    predicted_disk_tokens: p.disk_hit_tokens,
    measured_disk_tokens: disk,
    disk_measured_over_predicted: ratioOrNull(disk, p.disk_hit_tokens, floor),
    measured_offload_tokens: by.offload,
    measured_cached_source: c0.source,
    counter_cached_tokens: t?.cached_prompt_tokens_total ?? null,
    measured_by_source_basis: by.basis,
    ttft_p50_ms: o?.summary.ttft_ms.p50 ?? null,
    ttft_p99_ms: o?.summary.ttft_ms.p99 ?? null,
    duration_s: duration,
    predicted_disk_read_bytes_per_s: p.disk_read_bytes !== null && predictedDuration ? p.disk_read_bytes / predictedDuration : null,
    predicted_disk_read_bytes_per_s_at_target:
      p.disk_read_bytes !== null && predictedDuration ? p.disk_read_bytes / predictedDuration / Math.max(1, c.bytesDivisor ?? 1) : null,
    measured_disk_read_bytes_per_s: readBytes !== null && duration ? readBytes / duration : null,
    measured_disk_read_source: pio !== null ? 'process_io.read_bytes' : dev !== null ? 'block_device.read_bytes' : null,
  }
}
