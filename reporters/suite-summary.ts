import { mechanismSignals } from '../helpers/analysis/mechanism'
import { PERCENTILE_METHOD } from '../helpers/analysis/percentile'
import { uWork } from '../helpers/analysis/knee'
import type { GateResult } from '../helpers/gates/gate'
import { METRIC_DEFINITIONS } from '../helpers/metrics/metric-definitions'
import { compareModes } from './mode-order'
import { stepAxis, type PhaseFigures } from './phase-figures'
import type { SuiteData } from './run-data'

// <suite>/summary.json: per-phase figures recomputed from raw/requests.jsonl, joined with the phase
// records' deltas and attribution, the gate results, and the definitions and percentile method used,
// so a reader never has to guess what a number means. No timestamps of its own: rebuilding a run
// gives a byte-identical file.

export interface FigureIndexEntry {
  id: string
  title: string
  csv: string | null
  chart: string | null
  rows: number
  /** Why the figure is absent, when it is. */
  skipped: string | null
}

export interface SummaryInputs {
  requests_rows_in_run: number
  requests_rows_in_suite: number
  truncated_last_line: number
  bad_lines: number
  invalid_records: number
}

const round = (v: number | null, d = 4) => (v === null || !Number.isFinite(v) ? null : Number(v.toFixed(d)))

export const phaseSummaryJson = (p: PhaseFigures) => ({
  phase: p.phase,
  kind: p.phase_kind,
  mode: p.mode,
  step: p.step ?? null,
  repetition: p.repetition ?? null,
  leg: p.leg ?? null,
  workload: p.workload,
  contention: p.contention,
  t_start_ms: round(p.t_start_ms, 3),
  t_end_ms: round(p.t_end_ms, 3),
  wall_ms: round(p.wall_ms, 3),
  count: p.count,
  ok: p.ok,
  errors_by_class: p.errors_by_class,
  error_rate: round(p.error_rate, 6),
  req_per_s: round(p.req_per_s),
  output_tok_per_s: round(p.output_tok_per_s),
  input_tokens: p.input_tokens,
  output_tokens: p.output_tokens,
  cached_tokens: p.cached_tokens,
  latency: Object.fromEntries(Object.entries(p.latency).map(([k, s]) => [k, Object.fromEntries(Object.entries(s).map(([f, v]) => [f, f === 'count' ? v : round(v as number | null)]))])),
  mechanism: p.record ? mechanismSignals(p.record.deltas.kvbm) : null,
  deltas: p.record?.deltas ?? null,
  missing_metrics: p.record?.missing_metrics ?? null,
  attribution: p.record?.attribution ?? null,
  alignment: p.record?.alignment ?? null,
  interrupted: p.record?.interrupted ?? null,
  stop_reason: p.record?.stop_reason ?? null,
  notes: p.record?.notes ?? [],
  phase_record: p.record !== null,
})

/** U_work per mode over the suite's step sweep (v3.0 knee definition), when there is a sweep. */
/** Measured phases that started on a busy host (host_load events with problems), in run order. */
export const loadedHostPhases = (events: Record<string, unknown>[]): { phase: string; problems: string[] }[] =>
  events.flatMap((e) =>
    e.type === 'host_load' && typeof e.phase === 'string' && Array.isArray(e.problems) && e.problems.length ? [{ phase: e.phase, problems: e.problems.map(String) }] : [],
  )

/** Phases whose first attempt the environment spoiled: re-run once (rerun true), or not (why). */
export const invalidAttempts = (events: Record<string, unknown>[]): { phase: string; reasons: string[]; rerun: boolean; why: string | null; replayed: string[] }[] =>
  events.flatMap((e) =>
    (e.type === 'phase_rerun' || e.type === 'phase_invalid_not_rerun') && typeof e.phase === 'string'
      ? [
          {
            phase: e.phase,
            reasons: Array.isArray(e.reasons) ? e.reasons.map(String) : [],
            rerun: e.type === 'phase_rerun',
            why: typeof e.why === 'string' ? e.why : null,
            replayed: Array.isArray(e.replayed) ? e.replayed.map(String) : [],
          },
        ]
      : [],
  )

/** Suite-level `figure` notes (no phase), last value per key. */
export const suiteNotes = (events: Record<string, unknown>[]): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const e of events) if (e.type === 'figure' && typeof e.key === 'string' && e.phase == null && e.key !== 'headline') out[e.key] = e.value
  return out
}

/** The last `headline` note a suite made: its finding (knee, capacity, delta with CI) in one sentence. */
export const suiteHeadline = (events: Record<string, unknown>[]): string | null => {
  let h: string | null = null
  for (const e of events) if (e.type === 'figure' && e.key === 'headline' && typeof e.value === 'string') h = e.value
  return h
}

export const uWorkByMode = (phases: PhaseFigures[]) => {
  const out: Record<string, ReturnType<typeof uWork> & { step_key: string }> = {}
  const measured = phases.filter((p) => p.phase_kind === 'measure' && stepAxis(p.step))
  for (const mode of [...new Set(measured.map((p) => p.mode))].sort(compareModes)) {
    const ps = measured.filter((p) => p.mode === mode)
    if (new Set(ps.map((p) => stepAxis(p.step)!.value)).size < 2) continue
    out[mode] = {
      step_key: stepAxis(ps[0]!.step)!.key,
      ...uWork(ps.map((p) => ({ x: stepAxis(p.step)!.value, p50: p.latency.ttft_ms.p50, p99: p.latency.ttft_ms.p99 }))),
    }
  }
  return out
}

export const buildSuiteSummary = (
  suite: SuiteData,
  phases: PhaseFigures[],
  gates: GateResult[],
  figures: FigureIndexEntry[],
  inputs: SummaryInputs,
) => ({
  suite_id: suite.suite_id,
  hypothesis: suite.info?.hypothesis ?? (suite.info_raw?.hypothesis as string | undefined) ?? null,
  title: suite.info?.title ?? (suite.info_raw?.title as string | undefined) ?? null,
  emulated: suite.emulated,
  percentile_method: PERCENTILE_METHOD,
  time_base: 'ms on the run monotonic clock (raw/requests.jsonl t_* fields); telemetry t_ms on the same clock',
  inputs,
  read_issues: suite.read_issues,
  phases: phases.map(phaseSummaryJson),
  /** The suite's own finding in one sentence (a `headline` note from its conclusion), or null. */
  headline: suiteHeadline(suite.events),
  /** Phases that started on a busy host: their timing-gate failures point at the environment. */
  loaded_host_phases: loadedHostPhases(suite.events),
  /** Phases whose first attempt was invalid for environment reasons; figures use the re-run when there was one. */
  invalid_attempts: invalidAttempts(suite.events),
  /** Figures the suite noted in its conclusion (e.g. h2b's ttft_knee), last value per key. */
  notes: suiteNotes(suite.events),
  /** Queue criterion (TTFT p99 > 2 × p50 on consecutive steps) per mode; a suite's own knee is in notes/headline. */
  u_work: uWorkByMode(phases),
  gates,
  figures,
  metric_definitions: METRIC_DEFINITIONS,
})

export type SuiteSummary = ReturnType<typeof buildSuiteSummary>
