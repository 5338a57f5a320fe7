import { z } from 'zod'
import type { RequestRecord } from '../client/request-record'
import { LogHistogram } from './log-histogram'
import { EXACT_MAX_SAMPLES, PERCENTILE_METHOD, Summary, summarize } from './percentile'

// The figures of one phase, from its request records. Latency figures cover successful requests
// only (a timed-out request has no honest TTFT); schedule delay covers every request because it
// measures the load generator, not the server. Throughput divides by the phase wall time.

export const PhaseSummary = z.object({
  phase: z.string().nullable(),
  phase_kind: z.enum(['warmup', 'measure', 'probe']).nullable(),
  count: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  errors_by_class: z.record(z.string(), z.number().int().nonnegative()),
  /** errors / count; null when the phase sent nothing. */
  error_rate: z.number().nullable(),
  /** Requests that timed out or were truncated mid-stream (REQUEST_STALL). */
  stalled: z.number().int().nonnegative(),
  wall_ms: z.number().nonnegative(),
  /** Successful requests per second of phase wall time. */
  req_per_s: z.number().nullable(),
  /** Output tokens of successful requests per second of phase wall time. */
  output_tok_per_s: z.number().nullable(),
  input_tokens: z.number().nonnegative(),
  output_tokens: z.number().nonnegative(),
  cached_tokens: z.number().nonnegative(),
  /** Successful requests whose output token count is unknown (not in the totals). */
  output_tokens_missing: z.number().int().nonnegative(),
  ttft_ms: Summary,
  ttft_from_schedule_ms: Summary,
  ttfc_ms: Summary,
  ttfb_ms: Summary,
  tpot_ms: Summary,
  e2e_ms: Summary,
  /** Over all inter-token gaps of all successful requests. */
  itl_ms: Summary,
  schedule_delay_ms: Summary,
  /** Client first token − server first token (server_timing), where the server reports it. */
  client_overhead_ms: Summary,
  itl_method: z.enum(['exact', 'log_histogram']),
  percentile_method: z.string(),
})
export type PhaseSummary = z.infer<typeof PhaseSummary>

export interface SummarizePhaseOptions {
  wall_ms: number
  /** Above this many ITL gaps the streaming histogram is used. @default EXACT_MAX_SAMPLES */
  exactMaxSamples?: number
}

const STALL_CLASSES = new Set(['timeout_headers', 'timeout_body', 'truncated'])

const collect = (rows: RequestRecord[], pick: (r: RequestRecord) => number | null | undefined): number[] => {
  const out: number[] = []
  for (const r of rows) {
    const v = pick(r)
    if (typeof v === 'number' && Number.isFinite(v)) out.push(v)
  }
  return out
}

export const summarizePhase = (records: RequestRecord[], opts: SummarizePhaseOptions): PhaseSummary => {
  if (!(opts.wall_ms >= 0)) throw new RangeError(`Expected wall_ms >= 0, got ${opts.wall_ms}`)
  const ok = records.filter((r) => r.ok)
  const errorsByClass: Record<string, number> = {}
  let stalled = 0
  for (const r of records) {
    if (r.ok) continue
    const cls = r.error_class ?? 'unclassified'
    errorsByClass[cls] = (errorsByClass[cls] ?? 0) + 1
    if (STALL_CLASSES.has(cls)) stalled++
  }
  const errors = records.length - ok.length

  let inputTokens = 0
  let outputTokens = 0
  let cachedTokens = 0
  let outputMissing = 0
  for (const r of ok) {
    inputTokens += r.input_tokens ?? 0
    cachedTokens += r.cached_tokens ?? 0
    if (r.output_tokens === null) outputMissing++
    else outputTokens += r.output_tokens
  }

  // ITL: count first so a huge phase never allocates the full gap array.
  let gapCount = 0
  for (const r of ok) gapCount += r.itl_ms?.length ?? 0
  const exactMax = opts.exactMaxSamples ?? EXACT_MAX_SAMPLES
  let itl: Summary
  let itlMethod: 'exact' | 'log_histogram'
  if (gapCount <= exactMax) {
    const gaps = new Float64Array(gapCount)
    let j = 0
    for (const r of ok) for (const g of r.itl_ms ?? []) gaps[j++] = g
    itl = summarize(gaps)
    itlMethod = 'exact'
  } else {
    const h = new LogHistogram()
    for (const r of ok) if (r.itl_ms) h.addAll(r.itl_ms)
    itl = h.summary()
    itlMethod = 'log_histogram'
  }

  const wallS = opts.wall_ms / 1000
  return {
    phase: records[0]?.phase ?? null,
    phase_kind: records[0]?.phase_kind ?? null,
    count: records.length,
    ok: ok.length,
    errors,
    errors_by_class: errorsByClass,
    error_rate: records.length === 0 ? null : errors / records.length,
    stalled,
    wall_ms: opts.wall_ms,
    req_per_s: wallS > 0 ? ok.length / wallS : null,
    output_tok_per_s: wallS > 0 ? outputTokens / wallS : null,
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cached_tokens: cachedTokens,
    output_tokens_missing: outputMissing,
    ttft_ms: summarize(collect(ok, (r) => r.ttft_ms)),
    ttft_from_schedule_ms: summarize(collect(ok, (r) => r.ttft_from_schedule_ms)),
    ttfc_ms: summarize(collect(ok, (r) => r.ttfc_ms)),
    ttfb_ms: summarize(collect(ok, (r) => r.ttfb_ms)),
    tpot_ms: summarize(collect(ok, (r) => r.tpot_ms)),
    e2e_ms: summarize(collect(ok, (r) => r.e2e_ms)),
    itl_ms: itl,
    schedule_delay_ms: summarize(collect(records, (r) => r.schedule_delay_ms)),
    client_overhead_ms: summarize(
      collect(ok, (r) =>
        r.t_first_token_ms !== null && r.server_timing?.first_token_ms != null
          ? r.t_first_token_ms - r.server_timing.first_token_ms
          : null,
      ),
    ),
    itl_method: itlMethod,
    percentile_method: PERCENTILE_METHOD,
  }
}

/** Phases that count in suite statistics: warmups and probes are summarized but left out. */
export const measuredPhases = <T extends { kind?: string; phase_kind?: string | null }>(phases: readonly T[]): T[] =>
  phases.filter((p) => (p.kind ?? p.phase_kind) === 'measure')
