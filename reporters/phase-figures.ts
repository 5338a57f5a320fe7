import type { PhaseRecord } from '../helpers/bundle/phase-record'
import { sortedCopy, summarizeSorted, type Summary } from '../helpers/analysis/percentile'
import { LATENCY_COLUMNS, stepLabel, type LatencyColumn, type RequestCell } from './request-cells'

// Per-phase figures recomputed from the requests (never copied from the phase record's own
// summary, so `tierbench report` checks the run instead of trusting it), joined with the phase
// record's counter deltas and attribution.
export interface PhaseFigures {
  suite_id: string
  phase: string
  phase_kind: string
  mode: string
  step: Record<string, number | string> | undefined
  step_label: string
  repetition: number | undefined
  leg: string | undefined
  workload: string
  contention: string | null
  t_start_ms: number
  t_end_ms: number
  wall_ms: number
  count: number
  ok: number
  errors_by_class: Record<string, number>
  error_rate: number
  req_per_s: number | null
  output_tok_per_s: number | null
  input_tokens: number
  output_tokens: number
  cached_tokens: number
  latency: Record<LatencyColumn | 'itl_ms', Summary>
  /** Sorted successful TTFTs, kept for the CDF. */
  ttft_sorted: Float64Array
  record: PhaseRecord | null
}

const sameStep = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

export const matchPhaseRecord = (cell: RequestCell, records: PhaseRecord[]): PhaseRecord | null =>
  records.find((p) => p.phase === cell.phase && p.mode === cell.mode && sameStep(p.step, cell.step) && (p.repetition ?? null) === (cell.repetition ?? null)) ??
  records.find((p) => p.phase === cell.phase && p.mode === cell.mode) ??
  null

export const computePhaseFigures = (cell: RequestCell, record: PhaseRecord | null): PhaseFigures => {
  const latency = {} as PhaseFigures['latency']
  let ttftSorted: Float64Array = new Float64Array(0)
  for (const col of LATENCY_COLUMNS) {
    const sorted = sortedCopy(cell.columns[col])
    if (col === 'ttft_ms') ttftSorted = sorted
    latency[col] = summarizeSorted(sorted)
  }
  latency.itl_ms = summarizeSorted(sortedCopy(cell.itl_ms))
  const t0 = record?.t_start_ms ?? cell.t_first_sent_ms
  const t1 = record?.t_end_ms ?? cell.t_last_end_ms
  const wall = Number.isFinite(t1 - t0) && t1 > t0 ? t1 - t0 : 0
  return {
    suite_id: cell.suite_id,
    phase: cell.phase,
    phase_kind: record?.kind ?? cell.phase_kind,
    mode: cell.mode,
    step: cell.step,
    step_label: stepLabel(cell.step),
    repetition: cell.repetition,
    leg: record?.leg,
    workload: cell.workload,
    contention: record?.contention ?? null,
    t_start_ms: t0,
    t_end_ms: t1,
    wall_ms: wall,
    count: cell.count,
    ok: cell.ok,
    errors_by_class: cell.errors_by_class,
    error_rate: cell.count ? (cell.count - cell.ok) / cell.count : 0,
    req_per_s: wall > 0 ? cell.count / (wall / 1000) : null,
    output_tok_per_s: wall > 0 ? cell.output_tokens / (wall / 1000) : null,
    input_tokens: cell.input_tokens,
    output_tokens: cell.output_tokens,
    cached_tokens: cell.cached_tokens,
    latency,
    ttft_sorted: ttftSorted,
    record,
  }
}

// Phase records with no request (e.g. a phase interrupted before its first request finished) still
// appear in the summary, with zero counts, so their deltas are not lost.
export const emptyPhaseFigures = (record: PhaseRecord): PhaseFigures =>
  computePhaseFigures(
    {
      suite_id: record.suite_id,
      phase: record.phase,
      phase_kind: record.kind,
      mode: record.mode,
      step: record.step,
      repetition: record.repetition,
      attempt: record.attempt,
      workload: record.workload,
      count: 0,
      ok: 0,
      errors_by_class: {},
      input_tokens: 0,
      output_tokens: 0,
      cached_tokens: 0,
      t_first_sent_ms: record.t_start_ms,
      t_last_end_ms: record.t_end_ms,
      columns: Object.fromEntries(LATENCY_COLUMNS.map((c) => [c, []])) as unknown as RequestCell['columns'],
      itl_ms: [],
      t_sent_ms: [],
    },
    record,
  )

/** The first numeric coordinate of a step: the x of latency-vs-step figures. */
export const stepAxis = (step: PhaseFigures['step']): { key: string; value: number } | null => {
  if (!step) return null
  for (const [key, value] of Object.entries(step)) if (typeof value === 'number') return { key, value }
  return null
}

/** Phase figures of one suite, ordered by start time; cells and phase records joined. */
export const suitePhaseFigures = (cells: RequestCell[], records: PhaseRecord[]): PhaseFigures[] => {
  const used = new Set<PhaseRecord>()
  const out: PhaseFigures[] = []
  for (const cell of cells) {
    const rec = matchPhaseRecord(cell, records)
    if (rec) used.add(rec)
    out.push(computePhaseFigures(cell, rec))
  }
  for (const rec of records) if (!used.has(rec)) out.push(emptyPhaseFigures(rec))
  return out.sort((a, b) => a.t_start_ms - b.t_start_ms || a.phase.localeCompare(b.phase))
}
