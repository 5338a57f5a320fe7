// Every figure the reporter can produce: the v3.0 figure checklist (seed 000 §9) and the canonical
// plan's charts (seed 002 §4). Each figure is one CSV (the backing data, always written when the
// suite's data supports it) and one PNG chart under <suite>/charts/.

export interface FigureColumn {
  name: string
  /** Unit of the column ('' for labels). */
  unit: string
}

export type ChartKind = 'line' | 'cdf' | 'timeseries' | 'bar' | 'scatter' | 'paired'

export interface FigureSpec {
  id: string
  title: string
  chart: ChartKind
  /** Plan figures this covers (seed 000 §9 / seed 002 §4). */
  covers: string[]
  /** What data a suite must have recorded for this figure to exist. */
  needs: string
  columns: FigureColumn[]
}

const c = (name: string, unit = ''): FigureColumn => ({ name, unit })

export const FIGURE_CATALOG: readonly FigureSpec[] = [
  {
    id: 'latency_by_step',
    title: 'TTFT p50/p95/p99 vs sweep step, per mode',
    chart: 'line',
    covers: ['H0: p50/p95/p99 vs concurrency', 'H2A vs H2B: p99 vs context', 'H5: p99 vs KV working-set size', 'TTFT p95/p99 vs concurrency'],
    needs: 'measured phases with a numeric step coordinate (at least two distinct values)',
    columns: [
      c('mode'), c('phase'), c('repetition'), c('step_key'), c('step_value', 'step unit'), c('count', 'requests'), c('error_rate', 'fraction'),
      c('ttft_p50_ms', 'ms'), c('ttft_p95_ms', 'ms'), c('ttft_p99_ms', 'ms'), c('tpot_p50_ms', 'ms'), c('tpot_p99_ms', 'ms'),
      c('e2e_p99_ms', 'ms'), c('req_per_s', 'req/s'), c('output_tok_per_s', 'tok/s'),
    ],
  },
  {
    id: 'knee_vs_tier_capacity',
    title: 'TTFT p95 at the same load vs host tier capacity, per eviction policy and device tier (H6)',
    chart: 'line',
    covers: ['H6: knee vs tier capacity per policy'],
    needs: 'measured phases whose step names host_tier_tokens and policy (H6 cells), at least two host sizes',
    columns: [
      c('policy'), c('device_kv_tokens', 'tokens'), c('host_tier_tokens', 'tokens'), c('phase'), c('repetition'), c('count', 'requests'),
      c('ttft_p50_ms', 'ms'), c('ttft_p95_ms', 'ms'), c('ttft_p99_ms', 'ms'),
    ],
  },
  {
    id: 'ttft_cdf',
    title: 'CDF of TTFT per mode and phase',
    chart: 'cdf',
    covers: ['TTFT distribution per mode'],
    needs: 'measured phases with at least one successful streamed request',
    columns: [c('mode'), c('phase'), c('percentile', '%'), c('ttft_ms', 'ms'), c('cum_fraction', 'fraction')],
  },
  {
    id: 'ttft_windows',
    title: 'TTFT p99 per time window, with disk r_await and KVBM onboard rate',
    chart: 'timeseries',
    covers: ['Correlation: disk await vs TTFT tail events', 'KVBM metric deltas over time aligned to phases'],
    needs: 'requests with TTFT (telemetry adds the second axis when present)',
    columns: [
      c('window_start_s', 's (run clock)'), c('window_end_s', 's (run clock)'), c('phase'), c('mode'), c('count', 'requests'),
      c('ttft_p50_ms', 'ms'), c('ttft_p99_ms', 'ms'), c('r_await_ms', 'ms'), c('kvbm_onboard_d2d_blocks_per_s', 'blocks/s'), c('device'),
    ],
  },
  {
    id: 'block_io_timeseries',
    title: 'Disk iostat timeline aligned to phases',
    chart: 'timeseries',
    covers: ['NVMe iostat timeline aligned to phases'],
    needs: 'telemetry/block_device.jsonl samples',
    columns: [
      c('t_s', 's (run clock)'), c('phase'), c('r_s', 'reads/s'), c('w_s', 'writes/s'), c('rMB_s', 'MB/s'), c('wMB_s', 'MB/s'),
      c('r_await_ms', 'ms'), c('w_await_ms', 'ms'), c('aqu_sz', 'requests'), c('util_pct', '%'), c('device'),
    ],
  },
  {
    id: 'kvbm_timeseries',
    title: 'KVBM counter rates over time aligned to phases',
    chart: 'timeseries',
    covers: ['KVBM metric deltas over time aligned to phases'],
    needs: 'telemetry samples with kvbm_* counters (telemetry/kvbm.jsonl)',
    columns: [
      c('t_s', 's (run clock)'), c('phase'), c('offload_d2h_blocks_per_s', 'blocks/s'), c('offload_h2d_blocks_per_s', 'blocks/s'),
      c('offload_d2d_blocks_per_s', 'blocks/s'), c('onboard_h2d_blocks_per_s', 'blocks/s'), c('onboard_d2d_blocks_per_s', 'blocks/s'),
      c('matched_tokens_per_s', 'tokens/s'),
    ],
  },
  {
    id: 'kvbm_deltas_by_phase',
    title: 'KVBM counter deltas per phase',
    chart: 'bar',
    covers: ['Mechanism: KVBM offload/onboard/hit deltas aligned to workload phases'],
    needs: 'phase records with deltas.kvbm',
    columns: [c('phase'), c('mode'), c('repetition'), c('metric'), c('delta', 'blocks or tokens (per metric)')],
  },
  {
    id: 'predicted_vs_observed_disk',
    title: 'Predicted (KVBM) vs observed disk bytes per phase',
    chart: 'bar',
    covers: ['H7: predicted vs observed NVMe traffic'],
    needs: 'phase records with KVBM deltas, a KV block size, and observed IO bytes (process_io, cgroup_io or block_device)',
    columns: [
      c('phase'), c('mode'), c('block_bytes', 'bytes'), c('predicted_read_bytes', 'bytes'), c('observed_read_bytes', 'bytes'),
      c('read_ratio', 'observed/predicted'), c('predicted_write_bytes', 'bytes'), c('observed_write_bytes', 'bytes'),
      c('write_ratio', 'observed/predicted'), c('observed_source'),
    ],
  },
  {
    id: 'p99_vs_r_await',
    title: 'TTFT p99 vs disk r_await per phase',
    chart: 'scatter',
    covers: ['H4B: p99 vs NVMe r_await (fio profiles annotated)', 'H8B: r_await tracks tails'],
    needs: 'measured phases with block-device telemetry or deltas',
    columns: [
      c('phase'), c('mode'), c('contention'), c('ttft_p99_ms', 'ms'), c('r_await_ms', 'ms'), c('r_s', 'reads/s'), c('util_pct', '%'), c('source'), c('device'),
    ],
  },
  {
    id: 'iowait_vs_p99',
    title: 'TTFT p99 vs CPU iowait per phase',
    chart: 'scatter',
    covers: ['H8: iowait vs p99 (A and B)'],
    needs: 'measured phases with cpu telemetry (iowait)',
    columns: [c('phase'), c('mode'), c('ttft_p99_ms', 'ms'), c('iowait_pct', '%')],
  },
  {
    id: 'mode_compare',
    title: 'Latency and KVBM activity per KV mode',
    chart: 'bar',
    covers: ['Mode comparison B0/B1/B2/B2\'/B3'],
    needs: 'measured phases in at least two modes',
    columns: [
      c('mode'), c('phases'), c('count', 'requests'), c('error_rate', 'fraction'), c('ttft_p50_ms', 'ms'), c('ttft_p95_ms', 'ms'),
      c('ttft_p99_ms', 'ms'), c('tpot_p99_ms', 'ms'), c('e2e_p99_ms', 'ms'), c('req_per_s', 'req/s'),
      c('kvbm_onboard_blocks_d2d_delta', 'blocks'), c('kvbm_onboard_blocks_h2d_delta', 'blocks'), c('kvbm_offload_blocks_h2d_delta', 'blocks'),
      c('kvbm_matched_tokens_delta', 'tokens'),
    ],
  },
  {
    id: 'paired_deltas',
    title: 'Paired AB/BA deltas (B − A) with 95% CI',
    chart: 'paired',
    covers: ['Repeatability: AB/BA paired repeats'],
    needs: 'measured phases in two modes with repetition numbers',
    columns: [
      c('pair'), c('order'), c('mode_a'), c('mode_b'), c('metric'), c('a_value', 'ms'), c('b_value', 'ms'), c('delta', 'ms'),
      c('ci95_low', 'ms'), c('ci95_high', 'ms'),
    ],
  },
  {
    id: 'slo_capacity',
    title: 'Max sweep step under the TTFT SLO, per mode',
    chart: 'bar',
    covers: ['"Max concurrency under SLO" bar chart (feature set at fixed latency)'],
    needs: 'a step sweep (as latency_by_step)',
    columns: [
      c('mode'), c('step_key'), c('slo_metric'), c('slo_threshold_ms', 'ms'), c('max_error_rate', 'fraction'),
      c('max_step_value', 'step unit'), c('first_failing_step_value', 'step unit'), c('steps_measured', 'steps'),
    ],
  },
  {
    id: 'tier_hit_by_step',
    title: 'Disk-tier share of KVBM onboarding vs sweep step',
    chart: 'line',
    covers: ['H2B: tier hit ratio vs context'],
    needs: 'a step sweep with KVBM onboard deltas',
    columns: [
      c('mode'), c('step_key'), c('step_value', 'step unit'), c('onboard_host_blocks', 'blocks'), c('onboard_disk_blocks', 'blocks'),
      c('disk_share', 'fraction'),
    ],
  },
]

export const figureSpec = (id: string): FigureSpec => {
  const spec = FIGURE_CATALOG.find((f) => f.id === id)
  if (!spec) throw new Error(`Expected a figure id of FIGURE_CATALOG, got ${JSON.stringify(id)}`)
  return spec
}
