import type { ChartConfiguration, ChartDataset } from 'chart.js'
import type { FigureSpec } from '../figure-catalog'
import type { FigureRow, PhaseSpan } from '../figure-data'
import { compareModes, modeLabel } from '../mode-order'
import type { PhaseMarker } from './chart-canvas'
import { modeColor, SERIES_COLORS, withAlpha } from './mode-colors'

// One chart per figure, built from the same rows as its CSV (the chart can never show data the CSV
// lacks). Time-series charts get phase boundaries; latency axes go logarithmic when spread is wide.

export interface FigureChart {
  config: ChartConfiguration
  markers: PhaseMarker[]
}

type Pt = { x: number; y: number }
const n = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const uniq = <T>(xs: T[]) => [...new Set(xs)]
const DASH: Record<string, number[]> = { p50: [], p95: [6, 3], p99: [2, 2] }

const axisTitle = (text: string) => ({ display: true, text })

/** The block device as the rows name it (`vda`, `nvme0n1`), never assumed to be NVMe. */
const deviceOf = (rows: FigureRow[]): string => {
  const d = rows.find((r) => typeof r.device === 'string' && r.device !== '')?.device
  return typeof d === 'string' ? d : 'disk'
}

type Labelled = { tierbenchLabels?: (string | null)[] }

// Text next to points or on bars (`tierbenchLabels` on a dataset, one per data item): scatter
// points named by their phase, censored bars saying they are censored.
const textLabels = {
  id: 'tierbenchTextLabels',
  afterDatasetsDraw(chart: {
    ctx: { save(): void; restore(): void; font: string; fillStyle: string; textAlign: string; textBaseline: string; fillText(t: string, x: number, y: number): void }
    data: { datasets: Labelled[] }
    getDatasetMeta(i: number): { data: { x: number; y: number }[] }
    options: { font?: { family?: string } }
  }) {
    const ctx = chart.ctx
    chart.data.datasets.forEach((ds, i) => {
      const labels = ds.tierbenchLabels
      if (!labels) return
      chart.getDatasetMeta(i).data.forEach((el, k) => {
        const t = labels[k]
        if (!t) return
        ctx.save()
        ctx.font = `13px "${chart.options.font?.family ?? 'sans-serif'}"`
        ctx.fillStyle = '#222'
        ctx.textAlign = 'left'
        ctx.textBaseline = 'bottom'
        ctx.fillText(t, el.x + 7, el.y - 5)
        ctx.restore()
      })
    })
  },
}

const base = (spec: FigureSpec, suiteId: string, xTitle: string, yTitle: string, extra: Record<string, unknown> = {}) => ({
  plugins: {
    title: { display: true, text: `${suiteId}: ${spec.title}`, font: { size: 16 } },
    legend: { display: true, position: 'top' as const, labels: { boxWidth: 28, boxHeight: 3 } },
  },
  scales: {
    x: { type: 'linear' as const, title: axisTitle(xTitle) },
    y: { type: 'linear' as const, title: axisTitle(yTitle) },
    ...extra,
  },
})

/** Log scale when the largest positive value is more than 20× the smallest. */
export const wideSpread = (values: (number | null)[]): boolean => {
  const pos = values.filter((v): v is number => v !== null && v > 0)
  return pos.length > 1 && Math.max(...pos) / Math.min(...pos) > 20
}

const markersFor = (spans: PhaseSpan[]): PhaseMarker[] => spans.map((s) => ({ x: s.t_start_ms / 1000, label: `${s.phase} (${modeLabel(s.mode)})` }))

/** Most points a line keeps; a 1200-px chart cannot show more, and Chart.js time grows with them. */
export const MAX_LINE_POINTS = 1200

// Keeps the highest point of each bucket (x order kept), so tail spikes survive decimation; the
// CSV keeps every point.
export const decimateMax = (data: Pt[], max = MAX_LINE_POINTS): Pt[] => {
  if (data.length <= max) return data
  const out: Pt[] = []
  const per = data.length / max
  for (let b = 0; b < max; b++) {
    const lo = Math.floor(b * per)
    const hi = Math.min(data.length, Math.floor((b + 1) * per))
    let best = data[lo]!
    for (let i = lo + 1; i < hi; i++) if (data[i]!.y > best.y) best = data[i]!
    out.push(best)
  }
  return out
}

const line = (label: string, data: Pt[], color: string, dash: number[] = [], extra: Record<string, unknown> = {}): ChartDataset<'line', Pt[]> => ({
  type: 'line',
  label,
  data: decimateMax(data),
  borderColor: color,
  backgroundColor: color,
  borderDash: dash,
  borderWidth: 2,
  pointRadius: data.length > 60 ? 0 : 3,
  tension: 0,
  ...extra,
})

const latencyByStep = (spec: FigureSpec, suiteId: string, rows: FigureRow[]): ChartConfiguration => {
  const modes = uniq(rows.map((r) => String(r.mode))).sort(compareModes)
  const datasets = modes.flatMap((mode) =>
    (['p50', 'p95', 'p99'] as const).map((q) =>
      line(`${modeLabel(mode)} ${q}`, rows.filter((r) => r.mode === mode && n(r[`ttft_${q}_ms`]) !== null).map((r) => ({ x: r.step_value as number, y: r[`ttft_${q}_ms`] as number })).sort((a, b) => a.x - b.x), modeColor(mode), DASH[q]),
    ),
  )
  const log = wideSpread(rows.flatMap((r) => [n(r.ttft_p50_ms), n(r.ttft_p99_ms)]))
  const options = base(spec, suiteId, `${rows[0]?.step_key ?? 'step'} (sweep step)`, `TTFT (ms)${log ? ', log scale' : ''}`)
  options.scales.y = { type: (log ? 'logarithmic' : 'linear') as 'linear', title: axisTitle(`TTFT (ms)${log ? ', log scale' : ''}`) }
  return { type: 'line', data: { datasets }, options }
}

const kneeVsTierCapacity = (spec: FigureSpec, suiteId: string, rows: FigureRow[]): ChartConfiguration => {
  const series = uniq(rows.map((r) => `${r.policy}\u0000${r.device_kv_tokens ?? 'default'}`))
  const colors: Record<string, string> = { lru: '#1f77b4', lfu: '#d62728' }
  const dashes = [[], [6, 3], [2, 2], [10, 3, 2, 3]]
  const perPolicy = new Map<string, number>()
  const datasets = series.map((key) => {
    const [policy, device] = key.split('\u0000') as [string, string]
    const i = perPolicy.get(policy) ?? 0
    perPolicy.set(policy, i + 1)
    const pts = rows
      .filter((r) => String(r.policy) === policy && String(r.device_kv_tokens ?? 'default') === device && n(r.ttft_p95_ms) !== null)
      .map((r) => ({ x: r.host_tier_tokens as number, y: r.ttft_p95_ms as number }))
      .sort((a, b) => a.x - b.x)
    return line(`${policy.toUpperCase()} · device ${device} tokens · p95`, pts, colors[policy] ?? '#555555', dashes[i % dashes.length])
  })
  const options = base(spec, suiteId, 'host tier capacity (tokens)', 'TTFT p95 (ms)')
  return { type: 'line', data: { datasets }, options }
}

const ttftCdf = (spec: FigureSpec, suiteId: string, rows: FigureRow[]): ChartConfiguration => {
  const series = uniq(rows.map((r) => `${r.mode}\u0000${r.phase}`)).slice(0, 16)
  const perMode = new Map<string, number>()
  const datasets = series.map((key) => {
    const [mode, phase] = key.split('\u0000') as [string, string]
    const i = perMode.get(mode) ?? 0
    perMode.set(mode, i + 1)
    const data = rows.filter((r) => r.mode === mode && r.phase === phase && n(r.ttft_ms) !== null).map((r) => ({ x: r.ttft_ms as number, y: r.cum_fraction as number }))
    return line(`${modeLabel(mode)} · ${phase}`, data, modeColor(mode), [[], [6, 3], [2, 2], [10, 3, 2, 3], [12, 6], [1, 4]][i % 6], { pointRadius: 0 })
  })
  const log = wideSpread(rows.map((r) => n(r.ttft_ms)))
  const options = base(spec, suiteId, `TTFT (ms)${log ? ', log scale' : ''}`, 'cumulative fraction of requests')
  options.scales.x = { type: (log ? 'logarithmic' : 'linear') as 'linear', title: axisTitle(`TTFT (ms)${log ? ', log scale' : ''}`) }
  options.scales.y = { type: 'linear', title: axisTitle('cumulative fraction of requests'), min: 0, max: 1 } as typeof options.scales.y
  return { type: 'line', data: { datasets }, options }
}

/** Points of one series with a gap (null) wherever the phase changes, so no line joins two phases. */
const gapsBetweenPhases = (rs: FigureRow[], y: string): Pt[] => {
  const out: Pt[] = []
  let last: unknown
  for (const r of rs) {
    if (out.length && r.phase !== last) out.push({ x: r.window_start_s as number, y: null as unknown as number })
    out.push({ x: r.window_start_s as number, y: r[y] as number })
    last = r.phase
  }
  return out
}

const ttftWindows = (spec: FigureSpec, suiteId: string, rows: FigureRow[]): ChartConfiguration => {
  const modes = uniq(rows.map((r) => String(r.mode))).sort(compareModes)
  const datasets: ChartDataset<'line', Pt[]>[] = modes.map((mode) =>
    line(`${modeLabel(mode)} TTFT p99 (ms)`, gapsBetweenPhases(rows.filter((r) => r.mode === mode && n(r.ttft_p99_ms) !== null), 'ttft_p99_ms'), modeColor(mode), [], { spanGaps: false }),
  )
  const device = deviceOf(rows)
  const rAwait = rows.filter((r) => n(r.r_await_ms) !== null).map((r) => ({ x: r.window_start_s as number, y: r.r_await_ms as number }))
  const onboard = rows.filter((r) => n(r.kvbm_onboard_d2d_blocks_per_s) !== null).map((r) => ({ x: r.window_start_s as number, y: r.kvbm_onboard_d2d_blocks_per_s as number }))
  // Each unit its own axis: r_await (ms) beside TTFT would vanish under blocks/s.
  // Telemetry lines break between phases too: no segment may suggest a trend across a boundary.
  const telemetryLine = (col: string) => gapsBetweenPhases(rows.filter((r) => n(r[col]) !== null), col)
  if (rAwait.length) datasets.push(line(`${device} r_await (ms, right axis)`, telemetryLine('r_await_ms'), '#2ca02c', [4, 3], { yAxisID: 'y2', pointRadius: 2, spanGaps: false }))
  if (onboard.length) datasets.push(line('KVBM onboard disk→device (blocks/s, far right axis)', telemetryLine('kvbm_onboard_d2d_blocks_per_s'), '#8c564b', [2, 2], { yAxisID: 'y3', pointRadius: 2, spanGaps: false }))
  const log = wideSpread(rows.map((r) => n(r.ttft_p99_ms)))
  const y2 = {
    ...(rAwait.length ? { y2: { type: 'linear', position: 'right', min: 0, title: axisTitle(`${device} r_await (ms)`), grid: { drawOnChartArea: false } } } : {}),
    ...(onboard.length ? { y3: { type: 'linear', position: 'right', min: 0, title: axisTitle('KVBM onboard (blocks/s)'), grid: { drawOnChartArea: false } } } : {}),
  }
  const options = base(spec, suiteId, 'time (s, run clock)', `TTFT p99 per window (ms)${log ? ', log scale' : ''}`, y2)
  options.scales.y = { type: (log ? 'logarithmic' : 'linear') as 'linear', title: axisTitle(`TTFT p99 per window (ms)${log ? ', log scale' : ''}`) }
  return { type: 'line', data: { datasets }, options }
}

const blockIo = (spec: FigureSpec, suiteId: string, rows: FigureRow[]): ChartConfiguration => {
  const pts = (f: string) => rows.filter((r) => n(r[f]) !== null).map((r) => ({ x: r.t_s as number, y: r[f] as number }))
  const datasets = [
    line('read (MB/s)', pts('rMB_s'), SERIES_COLORS[0]!, [], { pointRadius: 0 }),
    line('write (MB/s)', pts('wMB_s'), SERIES_COLORS[1]!, [], { pointRadius: 0 }),
    line('r_await (ms, right axis)', pts('r_await_ms'), SERIES_COLORS[2]!, [4, 3], { pointRadius: 0, yAxisID: 'y2' }),
    line('util (%, far right axis)', pts('util_pct'), SERIES_COLORS[4]!, [2, 2], { pointRadius: 0, yAxisID: 'y3' }),
  ].filter((d) => d.data.length)
  const options = base(spec, suiteId, 'time (s, run clock)', `${deviceOf(rows)} throughput (MB/s)`, {
    y2: { type: 'linear', position: 'right', min: 0, title: axisTitle(`${deviceOf(rows)} r_await (ms)`), grid: { drawOnChartArea: false } },
    y3: { type: 'linear', position: 'right', min: 0, max: 100, title: axisTitle('util (%)'), grid: { drawOnChartArea: false } },
  })
  return { type: 'line', data: { datasets }, options }
}

const kvbmTs = (spec: FigureSpec, suiteId: string, rows: FigureRow[]): ChartConfiguration => {
  const cols = spec.columns.map((c) => c.name).filter((c) => c.endsWith('_per_s'))
  const datasets = cols
    .map((c, i) => line(c.replace(/_per_s$/, '').replace(/_/g, ' ') + (c.startsWith('matched') ? ' (tokens/s, right axis)' : ' (blocks/s)'), rows.filter((r) => n(r[c]) !== null).map((r) => ({ x: r.t_s as number, y: r[c] as number })), SERIES_COLORS[i % SERIES_COLORS.length]!, [], { pointRadius: 0, ...(c.startsWith('matched') ? { yAxisID: 'y2' } : {}) }))
    .filter((d) => d.data.some((p) => p.y !== 0))
  const options = base(spec, suiteId, 'time (s, run clock)', 'KVBM blocks per second', {
    y2: { type: 'linear', position: 'right', title: axisTitle('matched tokens per second'), grid: { drawOnChartArea: false } },
  })
  return { type: 'line', data: { datasets }, options }
}

// Dynamo's five block counters, with the direction spelled out (h2d and d2d mean different things
// for offload and onboard), and one colour family per tier: host blues, disk reds. Tokens, object
// tier and derived totals stay in the CSV; mixing units or repeating sums would hide the blocks.
const KVBM_BLOCK_SERIES: [metric: string, label: string, color: string][] = [
  ['kvbm_offload_blocks_d2h_delta', 'offload d2h: device→host', '#4e79a7'],
  ['kvbm_onboard_blocks_h2d_delta', 'onboard h2d: host→device', '#a0cbe8'],
  ['kvbm_offload_blocks_h2d_delta', 'offload h2d: host→disk', '#f28e2b'],
  ['kvbm_offload_blocks_d2d_delta', 'offload d2d: device→disk', '#ffbe7d'],
  ['kvbm_onboard_blocks_d2d_delta', 'onboard d2d: disk→device', '#e15759'],
]

const kvbmDeltas = (spec: FigureSpec, suiteId: string, rows: FigureRow[]): ChartConfiguration => {
  const labels = uniq(rows.map((r) => `${r.phase} (${modeLabel(String(r.mode))})`))
  const present = new Set(rows.map((r) => String(r.metric)))
  const datasets = KVBM_BLOCK_SERIES.filter(([m]) => present.has(m)).map(([m, label, color]) => ({
    type: 'bar' as const,
    label,
    data: labels.map((l) => n(rows.find((r) => `${r.phase} (${modeLabel(String(r.mode))})` === l && r.metric === m)?.delta) ?? 0),
    backgroundColor: color,
  }))
  const options = base(spec, suiteId, 'phase (mode)', 'KVBM block counter delta over the phase (blocks)')
  options.scales.x = { type: 'category', title: axisTitle('phase (mode)') } as unknown as typeof options.scales.x
  return { type: 'bar', data: { labels, datasets }, options }
}

const predictedVsObserved = (spec: FigureSpec, suiteId: string, rows: FigureRow[]): ChartConfiguration => {
  const labels = rows.map((r) => `${r.phase} (${modeLabel(String(r.mode))})`)
  const mb = (v: unknown) => (n(v) === null ? null : (v as number) / 1e6)
  const datasets = [
    ['predicted read (MB)', 'predicted_read_bytes', SERIES_COLORS[0]],
    ['observed read (MB)', 'observed_read_bytes', withAlpha(SERIES_COLORS[0]!, 0.5)],
    ['predicted write (MB)', 'predicted_write_bytes', SERIES_COLORS[1]],
    ['observed write (MB)', 'observed_write_bytes', withAlpha(SERIES_COLORS[1]!, 0.5)],
  ].map(([label, col, color]) => ({ type: 'bar' as const, label: label!, data: rows.map((r) => mb(r[col!])), backgroundColor: color }))
  const options = base(spec, suiteId, 'phase (mode)', 'bytes over the phase (MB)')
  options.scales.x = { type: 'category', title: axisTitle('phase (mode)') } as unknown as typeof options.scales.x
  return { type: 'bar', data: { labels, datasets }, options }
}

const scatterByMode = (spec: FigureSpec, suiteId: string, rows: FigureRow[], xCol: string, xTitle: string): ChartConfiguration => {
  const modes = uniq(rows.map((r) => String(r.mode))).sort(compareModes)
  const datasets = modes.map((mode) => ({
    type: 'scatter' as const,
    label: modeLabel(mode),
    data: rows.filter((r) => r.mode === mode).map((r) => ({ x: r[xCol] as number, y: r.ttft_p99_ms as number })),
    // Each point named by its phase (the sweep step), with the contention profile when there is one.
    tierbenchLabels: rows.filter((r) => r.mode === mode).map((r) => `${r.phase}${r.contention ? ` · ${r.contention}` : ''}`),
    backgroundColor: modeColor(mode),
    borderColor: modeColor(mode),
    pointRadius: 5,
  }))
  const options = base(spec, suiteId, xTitle, 'TTFT p99 over the phase (ms)')
  // Room for the labels: at the right edge and beyond the outermost points.
  Object.assign(options.scales.x, { grace: '5%' })
  Object.assign(options.scales.y, { grace: '5%' })
  return { type: 'scatter', data: { datasets }, options: { ...options, layout: { padding: { right: 160, top: 8 } } }, plugins: [textLabels] } as unknown as ChartConfiguration
}

const modeCompare = (spec: FigureSpec, suiteId: string, rows: FigureRow[]): ChartConfiguration => {
  const labels = ['TTFT p50', 'TTFT p95', 'TTFT p99', 'E2E p99']
  const cols = ['ttft_p50_ms', 'ttft_p95_ms', 'ttft_p99_ms', 'e2e_p99_ms']
  const datasets = rows.map((r) => ({ type: 'bar' as const, label: modeLabel(String(r.mode)), data: cols.map((c) => n(r[c])), backgroundColor: modeColor(String(r.mode)) }))
  const options = base(spec, suiteId, 'latency figure', 'latency (ms)')
  options.scales.x = { type: 'category', title: axisTitle('latency figure over all measured phases') } as unknown as typeof options.scales.x
  return { type: 'bar', data: { labels, datasets }, options }
}

const paired = (spec: FigureSpec, suiteId: string, rows: FigureRow[]): ChartConfiguration => {
  const metrics = uniq(rows.map((r) => String(r.metric)))
  const datasets: ChartDataset[] = []
  metrics.forEach((m, i) => {
    const color = SERIES_COLORS[i % SERIES_COLORS.length]!
    const pairs = rows.filter((r) => r.metric === m && r.pair !== 'mean')
    const mean = rows.find((r) => r.metric === m && r.pair === 'mean')
    const xs = pairs.map((_, k) => k + 1)
    datasets.push({ type: 'scatter', label: `${m} delta per pair (ms)`, data: pairs.map((r, k) => ({ x: xs[k]!, y: r.delta as number })), backgroundColor: color, borderColor: color, pointRadius: 5 } as ChartDataset)
    if (mean && n(mean.delta) !== null) {
      const x0 = 0.5
      const x1 = pairs.length + 0.5
      datasets.push(line(`${m} mean delta (ms)`, [{ x: x0, y: mean.delta as number }, { x: x1, y: mean.delta as number }], color, [], { pointRadius: 0 }) as ChartDataset)
      if (n(mean.ci95_low) !== null && n(mean.ci95_high) !== null) {
        datasets.push(line(`${m} 95% CI`, [{ x: x0, y: mean.ci95_low as number }, { x: x1, y: mean.ci95_low as number }], withAlpha(color, 0.6), [5, 4], { pointRadius: 0 }) as ChartDataset)
        datasets.push(line(`${m} 95% CI (upper)`, [{ x: x0, y: mean.ci95_high as number }, { x: x1, y: mean.ci95_high as number }], withAlpha(color, 0.6), [5, 4], { pointRadius: 0, fill: '-1', backgroundColor: withAlpha(color, 0.1) }) as ChartDataset)
      }
    }
  })
  const a = rows[0]?.mode_a
  const b = rows[0]?.mode_b
  const options = base(spec, suiteId, 'pair (repetition order)', `delta ${modeLabel(String(b))} − ${modeLabel(String(a))} (ms)`)
  options.plugins.legend = { display: true, position: 'top', labels: { filter: (item: { text: string }) => !item.text.endsWith('(upper)') } } as unknown as typeof options.plugins.legend
  return { type: 'scatter', data: { datasets }, options } as ChartConfiguration
}

const sloCapacity = (spec: FigureSpec, suiteId: string, rows: FigureRow[]): ChartConfiguration => {
  const labels = rows.map((r) => modeLabel(String(r.mode)))
  const first = rows[0]
  // Censored: every measured step met the SLO, so the capacity is at least the largest step, not
  // that step. Drawn hollow (the watermark shows through) and labelled as such.
  const censored = rows.map((r) => n(r.max_step_value) !== null && n(r.first_failing_step_value) === null)
  const datasets = [
    {
      type: 'bar' as const,
      label: `max ${first?.step_key ?? 'step'} with ${first?.slo_metric} ≤ ${first?.slo_threshold_ms} ms (hollow: SLO never exceeded, capacity is at least this)`,
      data: rows.map((r) => n(r.max_step_value) ?? 0),
      backgroundColor: rows.map((r, i) => withAlpha(modeColor(String(r.mode)), censored[i] ? 0.12 : 0.55)),
      borderColor: rows.map((r) => modeColor(String(r.mode))),
      borderWidth: 2,
      tierbenchLabels: rows.map((r, i) =>
        n(r.max_step_value) === null ? `none: fails at ${r.first_failing_step_value}` : censored[i] ? `≥ ${r.max_step_value}, SLO never exceeded` : `${r.max_step_value} (fails at ${r.first_failing_step_value})`,
      ),
    },
  ]
  const options = base(spec, suiteId, 'KV mode', `max ${first?.step_key ?? 'step'} under SLO (step units)`)
  options.scales.x = { type: 'category', title: axisTitle('KV mode') } as unknown as typeof options.scales.x
  // Headroom above the tallest bar for its label.
  const top = Math.max(0, ...rows.map((r) => n(r.max_step_value) ?? 0))
  options.scales.y = { type: 'linear', title: axisTitle(`max ${first?.step_key ?? 'step'} under SLO (step units)`), min: 0, suggestedMax: top * 1.15 } as typeof options.scales.y
  return { type: 'bar', data: { labels, datasets }, options, plugins: [textLabels] } as unknown as ChartConfiguration
}

const tierHit = (spec: FigureSpec, suiteId: string, rows: FigureRow[]): ChartConfiguration => {
  const modes = uniq(rows.map((r) => String(r.mode))).sort(compareModes)
  const datasets = modes.map((mode) => line(modeLabel(mode), rows.filter((r) => r.mode === mode && n(r.disk_share) !== null).map((r) => ({ x: r.step_value as number, y: r.disk_share as number })), modeColor(mode)))
  const options = base(spec, suiteId, `${rows[0]?.step_key ?? 'step'} (sweep step)`, 'disk share of onboarded blocks (fraction)')
  options.scales.y = { type: 'linear', title: axisTitle('disk share of onboarded blocks (fraction)'), min: 0, max: 1 } as typeof options.scales.y
  return { type: 'line', data: { datasets }, options }
}

export const buildFigureChart = (spec: FigureSpec, suiteId: string, rows: FigureRow[], spans: PhaseSpan[]): FigureChart => {
  const timeMarkers = markersFor(spans)
  switch (spec.id) {
    case 'latency_by_step': return { config: latencyByStep(spec, suiteId, rows), markers: [] }
    case 'knee_vs_tier_capacity': return { config: kneeVsTierCapacity(spec, suiteId, rows), markers: [] }
    case 'ttft_cdf': return { config: ttftCdf(spec, suiteId, rows), markers: [] }
    case 'ttft_windows': return { config: ttftWindows(spec, suiteId, rows), markers: timeMarkers }
    case 'block_io_timeseries': return { config: blockIo(spec, suiteId, rows), markers: timeMarkers }
    case 'kvbm_timeseries': return { config: kvbmTs(spec, suiteId, rows), markers: timeMarkers }
    case 'kvbm_deltas_by_phase': return { config: kvbmDeltas(spec, suiteId, rows), markers: [] }
    case 'predicted_vs_observed_disk': return { config: predictedVsObserved(spec, suiteId, rows), markers: [] }
    case 'p99_vs_r_await': return { config: scatterByMode(spec, suiteId, rows, 'r_await_ms', `${deviceOf(rows)} r_await, mean over the phase (ms)`), markers: [] }
    case 'iowait_vs_p99': return { config: scatterByMode(spec, suiteId, rows, 'iowait_pct', 'CPU iowait, mean over the phase (%)'), markers: [] }
    case 'mode_compare': return { config: modeCompare(spec, suiteId, rows), markers: [] }
    case 'paired_deltas': return { config: paired(spec, suiteId, rows), markers: [] }
    case 'slo_capacity': return { config: sloCapacity(spec, suiteId, rows), markers: [] }
    case 'tier_hit_by_step': return { config: tierHit(spec, suiteId, rows), markers: [] }
    default: throw new Error(`Expected a figure id with a chart, got ${JSON.stringify(spec.id)}`)
  }
}
