import type { GateResult } from '../helpers/gates/gate'
import { pairedStats, type Pair } from '../helpers/analysis/paired'
import { kvbmDelta } from '../helpers/analysis/mechanism'
import { percentileSorted, summarize } from '../helpers/analysis/percentile'
import { compareModes } from './mode-order'
import { stepAxis, type PhaseFigures } from './phase-figures'
import type { RequestCell } from './request-cells'
import { seriesMean, type TelemetrySeries } from './telemetry-series'

// Backing rows of every figure in FIGURE_CATALOG, from one suite's data. A builder returns null
// when the suite did not record what the figure needs (the report says so instead of drawing air).

export type FigureRow = Record<string, string | number | null>

export interface FigureContext {
  suite_id: string
  phases: PhaseFigures[]
  cells: RequestCell[]
  telemetry: Map<string, TelemetrySeries>
  gates: GateResult[]
}

export interface PhaseSpan {
  phase: string
  mode: string
  t_start_ms: number
  t_end_ms: number
}

const r = (v: number | null | undefined, digits = 3): number | null =>
  v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toFixed(digits))

export const measured = (ctx: FigureContext) => ctx.phases.filter((p) => p.phase_kind === 'measure' && p.count > 0)

export const phaseSpans = (ctx: FigureContext): PhaseSpan[] =>
  ctx.phases.filter((p) => Number.isFinite(p.t_start_ms) && p.t_end_ms > p.t_start_ms).map((p) => ({ phase: p.phase, mode: p.mode, t_start_ms: p.t_start_ms, t_end_ms: p.t_end_ms }))

const phaseAt = (spans: PhaseSpan[], t: number): string => spans.find((s) => t >= s.t_start_ms && t < s.t_end_ms)?.phase ?? ''

const blockDevice = (ctx: FigureContext) => ctx.telemetry.get('block_device')
const kvbmSeries = (ctx: FigureContext) =>
  ctx.telemetry.get('kvbm') ?? [...ctx.telemetry.values()].find((s) => [...s.fields.keys()].some((k) => k.startsWith('kvbm_')))

const delta = (p: PhaseFigures, source: string, name: string): number | null => {
  // KVBM names come in several spellings (kvbm_x, kvbm_x_delta, x); mechanism.kvbmDelta knows them.
  if (source === 'kvbm') return kvbmDelta(p.record?.deltas.kvbm, name.replace(/^kvbm_/, ''))
  const v = p.record?.deltas[source]?.[name]
  return typeof v === 'number' ? v : null
}

const latencyByStep = (ctx: FigureContext): FigureRow[] | null => {
  const rows = measured(ctx)
    .map((p) => ({ p, ax: stepAxis(p.step) }))
    .filter((x) => x.ax !== null)
  if (new Set(rows.map((x) => x.ax!.value)).size < 2) return null
  return rows
    .sort((a, b) => compareModes(a.p.mode, b.p.mode) || a.ax!.value - b.ax!.value)
    .map(({ p, ax }) => ({
      mode: p.mode,
      phase: p.phase,
      repetition: p.repetition ?? null,
      step_key: ax!.key,
      step_value: ax!.value,
      count: p.count,
      error_rate: r(p.error_rate, 5),
      ttft_p50_ms: r(p.latency.ttft_ms.p50),
      ttft_p95_ms: r(p.latency.ttft_ms.p95),
      ttft_p99_ms: r(p.latency.ttft_ms.p99),
      tpot_p50_ms: r(p.latency.tpot_ms.p50),
      tpot_p99_ms: r(p.latency.tpot_ms.p99),
      e2e_p99_ms: r(p.latency.e2e_ms.p99),
      req_per_s: r(p.req_per_s),
      output_tok_per_s: r(p.output_tok_per_s),
    }))
}

/** H6 cells: TTFT at the same load against the host tier capacity, one series per policy and device tier. */
const kneeVsTierCapacity = (ctx: FigureContext): FigureRow[] | null => {
  const rows = measured(ctx)
    .filter((p) => p.step && typeof p.step.host_tier_tokens === 'number' && typeof p.step.policy === 'string')
    .map((p) => ({
      policy: String(p.step!.policy),
      device_kv_tokens: typeof p.step!.device_kv_tokens === 'number' ? p.step!.device_kv_tokens : null,
      host_tier_tokens: p.step!.host_tier_tokens as number,
      phase: p.phase,
      repetition: p.repetition ?? null,
      count: p.count,
      ttft_p50_ms: r(p.latency.ttft_ms.p50),
      ttft_p95_ms: r(p.latency.ttft_ms.p95),
      ttft_p99_ms: r(p.latency.ttft_ms.p99),
    }))
  if (new Set(rows.map((x) => x.host_tier_tokens)).size < 2) return null
  return rows.sort((a, b) => a.policy.localeCompare(b.policy) || (a.device_kv_tokens ?? 0) - (b.device_kv_tokens ?? 0) || a.host_tier_tokens - b.host_tier_tokens)
}

const CDF_PERCENTILES = [...Array.from({ length: 100 }, (_, i) => i), 99.5, 99.9, 100]

const ttftCdf = (ctx: FigureContext): FigureRow[] | null => {
  const rows: FigureRow[] = []
  for (const p of measured(ctx)) {
    if (p.ttft_sorted.length === 0) continue
    for (const q of CDF_PERCENTILES)
      rows.push({ mode: p.mode, phase: p.phase, percentile: q, ttft_ms: r(percentileSorted(p.ttft_sorted, q)), cum_fraction: q / 100 })
  }
  return rows.length ? rows : null
}

/** Window width: 1 s, widened so a long run has at most ~300 windows per phase. */
export const windowWidthMs = (spanMs: number): number => Math.max(1000, Math.ceil(spanMs / 300 / 1000) * 1000)

const ttftWindows = (ctx: FigureContext): FigureRow[] | null => {
  const spans = phaseSpans(ctx)
  let t0 = Number.POSITIVE_INFINITY
  let t1 = Number.NEGATIVE_INFINITY
  for (const c of ctx.cells) {
    t0 = Math.min(t0, c.t_first_sent_ms)
    t1 = Math.max(t1, c.t_last_end_ms)
  }
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) return null
  const width = windowWidthMs(t1 - t0)
  const bd = blockDevice(ctx)
  const kv = kvbmSeries(ctx)
  const rows: FigureRow[] = []
  const device = bd?.labels.get('device') ?? null
  // Windows start at each phase's first request and end at its last: a window never mixes two
  // phases (two phases in one window made TTFT seem to drift over time).
  for (const c of ctx.cells) {
    const buckets = new Map<number, number[]>()
    const ttft = c.columns.ttft_ms
    const c0 = c.t_first_sent_ms
    for (let i = 0; i < c.t_sent_ms.length; i++) {
      const v = ttft[i]!
      if (!Number.isFinite(v)) continue
      const w = Math.floor((c.t_sent_ms[i]! - c0) / width)
      let b = buckets.get(w)
      if (!b) buckets.set(w, (b = []))
      b.push(v)
    }
    for (const [w, vals] of [...buckets.entries()].sort((a, b) => a[0] - b[0])) {
      const ws = c0 + w * width
      const we = Math.min(ws + width, Math.max(c.t_last_end_ms, ws + 1))
      const s = summarize(vals)
      rows.push({
        window_start_s: r(ws / 1000),
        window_end_s: r(we / 1000),
        phase: c.phase || phaseAt(spans, ws),
        mode: c.mode,
        count: vals.length,
        ttft_p50_ms: r(s.p50),
        ttft_p99_ms: r(s.p99),
        r_await_ms: r(seriesMean(bd, 'r_await_ms', ws, we)),
        kvbm_onboard_d2d_blocks_per_s: r(kv ? counterRate(kv, 'kvbm_onboard_blocks_d2d', ws, we) : null),
        device,
      })
    }
  }
  return rows.length ? rows.sort((a, b) => (a.window_start_s as number) - (b.window_start_s as number)) : null
}

// Rate of a cumulative counter over [t0, t1) from the first and last sample inside (resets: a
// counter going down restarts from its new value).
const counterRate = (s: TelemetrySeries, field: string, t0: number, t1: number): number | null => {
  const col = s.fields.get(field)
  if (!col) return null
  let first = -1
  let last = -1
  let sum = 0
  for (let i = 0; i < s.t_ms.length; i++) {
    const t = s.t_ms[i]!
    if (t < t0 || t >= t1 || !Number.isFinite(col[i]!)) continue
    if (first < 0) first = i
    else sum += col[i]! >= col[last]! ? col[i]! - col[last]! : col[i]!
    last = i
  }
  if (first < 0 || last === first) return null
  const dt = (s.t_ms[last]! - s.t_ms[first]!) / 1000
  return dt > 0 ? sum / dt : null
}

const BLOCK_FIELDS = ['r_s', 'w_s', 'rMB_s', 'wMB_s', 'r_await_ms', 'w_await_ms', 'aqu_sz', 'util_pct'] as const

const blockIoTimeseries = (ctx: FigureContext): FigureRow[] | null => {
  const s = blockDevice(ctx)
  if (!s || s.t_ms.length === 0) return null
  const spans = phaseSpans(ctx)
  return s.t_ms.map((t, i) => {
    const row: FigureRow = { t_s: r(t / 1000), phase: phaseAt(spans, t), device: s.labels.get('device') ?? null }
    for (const f of BLOCK_FIELDS) row[f] = r(s.fields.get(f)?.[i])
    return row
  })
}

const KVBM_RATES = [
  ['offload_d2h_blocks_per_s', 'kvbm_offload_blocks_d2h'],
  ['offload_h2d_blocks_per_s', 'kvbm_offload_blocks_h2d'],
  ['offload_d2d_blocks_per_s', 'kvbm_offload_blocks_d2d'],
  ['onboard_h2d_blocks_per_s', 'kvbm_onboard_blocks_h2d'],
  ['onboard_d2d_blocks_per_s', 'kvbm_onboard_blocks_d2d'],
  ['matched_tokens_per_s', 'kvbm_matched_tokens'],
] as const

const kvbmTimeseries = (ctx: FigureContext): FigureRow[] | null => {
  const s = kvbmSeries(ctx)
  if (!s || s.t_ms.length < 2) return null
  const spans = phaseSpans(ctx)
  const rows: FigureRow[] = []
  for (let i = 1; i < s.t_ms.length; i++) {
    const dt = (s.t_ms[i]! - s.t_ms[i - 1]!) / 1000
    if (dt <= 0) continue
    const row: FigureRow = { t_s: r(s.t_ms[i]! / 1000), phase: phaseAt(spans, s.t_ms[i]!) }
    for (const [col, name] of KVBM_RATES) {
      const c = s.fields.get(name)
      const a = c?.[i - 1]
      const b = c?.[i]
      row[col] = a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) ? null : r((b >= a ? b - a : b) / dt)
    }
    rows.push(row)
  }
  return rows.length ? rows : null
}

const kvbmDeltasByPhase = (ctx: FigureContext): FigureRow[] | null => {
  const rows: FigureRow[] = []
  for (const p of ctx.phases) {
    const kv = p.record?.deltas.kvbm
    if (!kv) continue
    for (const [metric, v] of Object.entries(kv).sort()) {
      if (metric.includes('hit_rate')) continue // windowed gauges are never per-phase evidence (metrics.md)
      rows.push({ phase: p.phase, mode: p.mode, repetition: p.repetition ?? null, metric, delta: v })
    }
  }
  return rows.length ? rows : null
}

const numAt = (o: Record<string, unknown> | null | undefined, ...keys: string[]): number | null => {
  for (const k of keys) if (o && typeof o[k] === 'number') return o[k] as number
  return null
}

const observedBytes = (p: PhaseFigures): { read: number | null; write: number | null; source: string } => {
  for (const [source, rk, wk] of [
    ['process_io', 'read_bytes', 'write_bytes'],
    ['cgroup_io', 'rbytes', 'wbytes'],
    ['block_device', 'read_bytes', 'write_bytes'],
  ] as const) {
    const rd = delta(p, source, rk)
    const wr = delta(p, source, wk)
    if (rd !== null || wr !== null) return { read: rd, write: wr, source }
  }
  return { read: null, write: null, source: '' }
}

export const blockBytesOf = (p: PhaseFigures, target: Record<string, unknown> | null): number | null =>
  numAt(p.record?.attribution as Record<string, unknown> | null, 'block_bytes', 'kv_block_bytes') ??
  numAt(target, 'kv_block_bytes', 'block_bytes')

const predictedVsObserved = (ctx: FigureContext, target: Record<string, unknown> | null): FigureRow[] | null => {
  const rows: FigureRow[] = []
  for (const p of ctx.phases) {
    if (!p.record?.deltas.kvbm) continue
    const bb = blockBytesOf(p, target)
    const obs = observedBytes(p)
    if (bb === null || (obs.read === null && obs.write === null)) continue
    const onD2d = delta(p, 'kvbm', 'kvbm_onboard_blocks_d2d')
    const offH2d = delta(p, 'kvbm', 'kvbm_offload_blocks_h2d')
    const offD2d = delta(p, 'kvbm', 'kvbm_offload_blocks_d2d')
    const predRead = onD2d === null ? null : onD2d * bb
    const predWrite = offH2d === null && offD2d === null ? null : ((offH2d ?? 0) + (offD2d ?? 0)) * bb
    rows.push({
      phase: p.phase,
      mode: p.mode,
      block_bytes: bb,
      predicted_read_bytes: predRead,
      observed_read_bytes: obs.read,
      read_ratio: predRead && obs.read !== null ? r(obs.read / predRead, 4) : null,
      predicted_write_bytes: predWrite,
      observed_write_bytes: obs.write,
      write_ratio: predWrite && obs.write !== null ? r(obs.write / predWrite, 4) : null,
      observed_source: obs.source,
    })
  }
  return rows.length ? rows : null
}

// Mean r_await over the phase from telemetry, else from the phase's block-device counter deltas
// (read_ticks_ms / read_ios, the iostat definition).
export const phaseRAwait = (ctx: FigureContext, p: PhaseFigures): { r_await_ms: number | null; r_s: number | null; util_pct: number | null; source: string } => {
  const bd = blockDevice(ctx)
  const fromSeries = seriesMean(bd, 'r_await_ms', p.t_start_ms, p.t_end_ms)
  if (fromSeries !== null)
    return { r_await_ms: fromSeries, r_s: seriesMean(bd, 'r_s', p.t_start_ms, p.t_end_ms), util_pct: seriesMean(bd, 'util_pct', p.t_start_ms, p.t_end_ms), source: 'telemetry/block_device.jsonl' }
  const ticks = delta(p, 'block_device', 'read_ticks_ms')
  const ios = delta(p, 'block_device', 'read_ios')
  if (ticks !== null && ios !== null && ios > 0)
    return { r_await_ms: ticks / ios, r_s: p.wall_ms > 0 ? ios / (p.wall_ms / 1000) : null, util_pct: null, source: 'phase deltas block_device' }
  return { r_await_ms: null, r_s: null, util_pct: null, source: '' }
}

const p99VsRAwait = (ctx: FigureContext): FigureRow[] | null => {
  const rows = measured(ctx)
    .map((p) => {
      const a = phaseRAwait(ctx, p)
      return { phase: p.phase, mode: p.mode, contention: p.contention, ttft_p99_ms: r(p.latency.ttft_ms.p99), r_await_ms: r(a.r_await_ms), r_s: r(a.r_s), util_pct: r(a.util_pct), source: a.source, device: blockDevice(ctx)?.labels.get('device') ?? null }
    })
    .filter((x) => x.r_await_ms !== null && x.ttft_p99_ms !== null)
  return rows.length ? rows : null
}

const iowaitVsP99 = (ctx: FigureContext): FigureRow[] | null => {
  const cpu = ctx.telemetry.get('cpu')
  if (!cpu) return null
  const field = cpu.fields.has('iowait_pct') ? 'iowait_pct' : 'iowait'
  const rows = measured(ctx)
    .map((p) => ({ phase: p.phase, mode: p.mode, ttft_p99_ms: r(p.latency.ttft_ms.p99), iowait_pct: r(seriesMean(cpu, field, p.t_start_ms, p.t_end_ms)) }))
    .filter((x) => x.iowait_pct !== null && x.ttft_p99_ms !== null)
  return rows.length ? rows : null
}

const sumDelta = (ps: PhaseFigures[], name: string): number | null => {
  const vals = ps.map((p) => delta(p, 'kvbm', name)).filter((v): v is number => v !== null)
  return vals.length ? vals.reduce((a, b) => a + b, 0) : null
}

const modeCompare = (ctx: FigureContext): FigureRow[] | null => {
  const ms = measured(ctx)
  const modes = [...new Set(ms.map((p) => p.mode))].sort(compareModes)
  if (modes.length < 2) return null
  const measuredKeys = new Set(ms.map((p) => `${p.phase}\u0000${p.mode}`))
  return modes.map((mode) => {
    const ps = ms.filter((p) => p.mode === mode)
    const cells = ctx.cells.filter((c) => c.mode === mode && measuredKeys.has(`${c.phase}\u0000${c.mode}`))
    const pool = (col: 'ttft_ms' | 'tpot_ms' | 'e2e_ms') => summarize(cells.flatMap((c) => c.columns[col]))
    const ttft = pool('ttft_ms')
    const count = ps.reduce((a, p) => a + p.count, 0)
    const ok = ps.reduce((a, p) => a + p.ok, 0)
    const wall = ps.reduce((a, p) => a + p.wall_ms, 0)
    return {
      mode,
      phases: ps.length,
      count,
      error_rate: count ? r((count - ok) / count, 5) : null,
      ttft_p50_ms: r(ttft.p50),
      ttft_p95_ms: r(ttft.p95),
      ttft_p99_ms: r(ttft.p99),
      tpot_p99_ms: r(pool('tpot_ms').p99),
      e2e_p99_ms: r(pool('e2e_ms').p99),
      req_per_s: wall > 0 ? r(count / (wall / 1000)) : null,
      kvbm_onboard_blocks_d2d_delta: sumDelta(ps, 'kvbm_onboard_blocks_d2d'),
      kvbm_onboard_blocks_h2d_delta: sumDelta(ps, 'kvbm_onboard_blocks_h2d'),
      kvbm_offload_blocks_h2d_delta: sumDelta(ps, 'kvbm_offload_blocks_h2d'),
      kvbm_matched_tokens_delta: sumDelta(ps, 'kvbm_matched_tokens'),
    }
  })
}

const PAIRED_METRICS = [
  ['ttft_p99_ms', (p: PhaseFigures) => p.latency.ttft_ms.p99],
  ['ttft_p50_ms', (p: PhaseFigures) => p.latency.ttft_ms.p50],
] as const

// AB/BA repeats: within each repetition, one measured phase per mode; A is the lower mode (B0 < …
// < B3) and deltas are always B − A, so the sign means the same in every pair.
const pairedDeltas = (ctx: FigureContext): FigureRow[] | null => {
  const ms = measured(ctx).filter((p) => p.repetition !== undefined)
  const modes = [...new Set(ms.map((p) => p.mode))].sort(compareModes)
  if (modes.length !== 2) return null
  const [ma, mb] = modes as [string, string]
  const reps = [...new Set(ms.map((p) => p.repetition!))].sort((a, b) => a - b)
  const rows: FigureRow[] = []
  for (const [metric, get] of PAIRED_METRICS) {
    const pairs: Pair[] = []
    for (const rep of reps) {
      const a = ms.find((p) => p.repetition === rep && p.mode === ma)
      const b = ms.find((p) => p.repetition === rep && p.mode === mb)
      const av = a && get(a)
      const bv = b && get(b)
      if (!a || !b || av === null || bv === null || av === undefined || bv === undefined) continue
      pairs.push({ a: av, b: bv, order: a.t_start_ms <= b.t_start_ms ? 'AB' : 'BA', label: String(rep) })
      rows.push({ pair: String(rep), order: a.t_start_ms <= b.t_start_ms ? 'AB' : 'BA', mode_a: ma, mode_b: mb, metric, a_value: r(av), b_value: r(bv), delta: r(bv - av), ci95_low: null, ci95_high: null })
    }
    if (pairs.length) {
      // t-based CI of the mean paired delta (helpers/analysis/paired); seeded, so reruns agree.
      const st = pairedStats(pairs, { seed: 1, B: 1000 })
      rows.push({ pair: 'mean', order: '', mode_a: ma, mode_b: mb, metric, a_value: null, b_value: null, delta: r(st.mean_delta), ci95_low: r(st.t_ci.lo), ci95_high: r(st.t_ci.hi) })
    }
  }
  return rows.length ? rows : null
}

/** The TTFT SLO the suite gated on (first ttft_ms p(99)/p(95) gate), else MLPerf llama3.1-8b p99 2 s. */
export const sloOf = (gates: GateResult[]): { metric: string; q: number; threshold_ms: number } => {
  for (const g of gates) {
    const m = /^p\((\d+(?:\.\d+)?)\)\s*<=?\s*(\d+(?:\.\d+)?)$/.exec(g.expr.replace(/\s+/g, ''))
    if (g.metric === 'ttft_ms' && m) return { metric: `ttft_p${m[1]}_ms`, q: Number(m[1]), threshold_ms: Number(m[2]) }
  }
  return { metric: 'ttft_p99_ms', q: 99, threshold_ms: 2000 }
}

const MAX_ERROR_RATE = 0.01

const sloCapacity = (ctx: FigureContext): FigureRow[] | null => {
  const steps = latencyByStep(ctx)
  if (!steps) return null
  const slo = sloOf(ctx.gates)
  const modes = [...new Set(steps.map((s) => s.mode as string))].sort(compareModes)
  return modes.map((mode) => {
    const ps = measured(ctx).filter((p) => p.mode === mode && stepAxis(p.step))
    const sorted = ps.sort((a, b) => stepAxis(a.step)!.value - stepAxis(b.step)!.value)
    let max: number | null = null
    let firstFail: number | null = null
    for (const p of sorted) {
      const v = percentileSorted(p.ttft_sorted, slo.q)
      const pass = v !== null && v <= slo.threshold_ms && p.error_rate <= MAX_ERROR_RATE
      if (!pass) {
        firstFail = stepAxis(p.step)!.value
        break
      }
      max = stepAxis(p.step)!.value
    }
    return {
      mode,
      step_key: stepAxis(sorted[0]?.step)?.key ?? '',
      slo_metric: slo.metric,
      slo_threshold_ms: slo.threshold_ms,
      max_error_rate: MAX_ERROR_RATE,
      max_step_value: max,
      first_failing_step_value: firstFail,
      steps_measured: sorted.length,
    }
  })
}

const tierHitByStep = (ctx: FigureContext): FigureRow[] | null => {
  const rows = measured(ctx)
    .map((p) => ({ p, ax: stepAxis(p.step), host: delta(p, 'kvbm', 'kvbm_onboard_blocks_h2d'), disk: delta(p, 'kvbm', 'kvbm_onboard_blocks_d2d') }))
    .filter((x) => x.ax && (x.host !== null || x.disk !== null))
  if (new Set(rows.map((x) => x.ax!.value)).size < 2) return null
  return rows
    .sort((a, b) => compareModes(a.p.mode, b.p.mode) || a.ax!.value - b.ax!.value)
    .map(({ p, ax, host, disk }) => {
      const total = (host ?? 0) + (disk ?? 0)
      return { mode: p.mode, step_key: ax!.key, step_value: ax!.value, onboard_host_blocks: host, onboard_disk_blocks: disk, disk_share: total > 0 ? r((disk ?? 0) / total, 4) : null }
    })
}

export const buildFigureRows = (id: string, ctx: FigureContext, target: Record<string, unknown> | null): FigureRow[] | null => {
  switch (id) {
    case 'latency_by_step': return latencyByStep(ctx)
    case 'knee_vs_tier_capacity': return kneeVsTierCapacity(ctx)
    case 'ttft_cdf': return ttftCdf(ctx)
    case 'ttft_windows': return ttftWindows(ctx)
    case 'block_io_timeseries': return blockIoTimeseries(ctx)
    case 'kvbm_timeseries': return kvbmTimeseries(ctx)
    case 'kvbm_deltas_by_phase': return kvbmDeltasByPhase(ctx)
    case 'predicted_vs_observed_disk': return predictedVsObserved(ctx, target)
    case 'p99_vs_r_await': return p99VsRAwait(ctx)
    case 'iowait_vs_p99': return iowaitVsP99(ctx)
    case 'mode_compare': return modeCompare(ctx)
    case 'paired_deltas': return pairedDeltas(ctx)
    case 'slo_capacity': return sloCapacity(ctx)
    case 'tier_hit_by_step': return tierHitByStep(ctx)
    default: throw new Error(`Expected a figure id of FIGURE_CATALOG, got ${JSON.stringify(id)}`)
  }
}
