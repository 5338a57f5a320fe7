import { kvbmDelta } from '../analysis/mechanism'
import type { PhaseOutcome } from '../suite/define-hypothesis'
import type { TierPrediction } from './trace-whatif'

// One row per mode: what the trace's what-if promised at the mode's tier capacities next to what
// the server delivered. Measured by source: host and disk from KVBM onboard counters (blocks x
// tokens per block), device = the server's cached prompt tokens minus those. A figure the target
// does not expose stays null (never 0), and a ratio against a prediction too small to judge is null.

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
}

/** measured / predicted, or null when either is missing or the prediction is under `floor` tokens. */
export const ratioOrNull = (measured: number | null, predicted: number, floor: number): number | null =>
  measured === null || !(predicted >= floor) ? null : measured / predicted

export const comparePredicted = (o: PhaseOutcome | undefined, c: CompareOptions): PredictedVsMeasured => {
  const k = o?.record.deltas.kvbm
  const h2d = kvbmDelta(k, 'onboard_blocks_h2d')
  const d2d = kvbmDelta(k, 'onboard_blocks_d2d')
  const host = h2d === null ? null : h2d * c.tokensPerBlock
  const disk = d2d === null ? null : d2d * c.tokensPerBlock
  const cached = o ? o.summary.cached_tokens : null
  const device = cached === null ? null : Math.max(0, cached - (host ?? 0) - (disk ?? 0))
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
