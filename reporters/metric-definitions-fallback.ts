// Private stand-in for helpers/metrics/metric-definitions.ts (METRIC_DEFINITIONS), which had not
// landed when the reporter was written: the figures summary.json reports, defined as in
// reference/metrics.md. Swap the import in reporters/suite-summary.ts once the real one exists.
export interface MetricDefinition {
  unit: string
  kind: 'trend' | 'counter' | 'gauge' | 'rate'
  definition: string
  source: string
}

export const METRIC_DEFINITIONS: Record<string, MetricDefinition> = {
  ttft_ms: { unit: 'ms', kind: 'trend', definition: 'first SSE event carrying generated text − t_sent', source: 'client' },
  ttft_from_schedule_ms: { unit: 'ms', kind: 'trend', definition: 'first token event − t_scheduled (coordinated-omission safe)', source: 'client' },
  ttfb_ms: { unit: 'ms', kind: 'trend', definition: 't_headers − t_sent', source: 'client' },
  ttfc_ms: { unit: 'ms', kind: 'trend', definition: 'first non-empty SSE data event − t_sent', source: 'client' },
  tpot_ms: { unit: 'ms', kind: 'trend', definition: '(t_last_token − t_first_token) / (output_tokens − 1)', source: 'client' },
  itl_ms: { unit: 'ms', kind: 'trend', definition: 'gaps between consecutive token-bearing events, over all gaps of the phase', source: 'client' },
  e2e_ms: { unit: 'ms', kind: 'trend', definition: 'end of stream − t_sent', source: 'client' },
  schedule_delay_ms: { unit: 'ms', kind: 'trend', definition: 't_sent − t_scheduled (load generator lag)', source: 'client' },
  client_overhead_ms: { unit: 'ms', kind: 'trend', definition: 'client first token − server first token (server_timing)', source: 'client + kvsim' },
  req_per_s: { unit: 'req/s', kind: 'rate', definition: 'requests / phase wall time', source: 'client' },
  output_tok_per_s: { unit: 'tok/s', kind: 'rate', definition: 'output tokens / phase wall time', source: 'client' },
  error_rate: { unit: 'fraction', kind: 'rate', definition: 'failed requests / requests', source: 'client' },
  r_await_ms: { unit: 'ms', kind: 'gauge', definition: 'read ticks / reads over the interval (iostat -x, includes queue time)', source: '/proc/diskstats' },
  r_s: { unit: 'reads/s', kind: 'gauge', definition: 'completed reads per second', source: '/proc/diskstats' },
  util_pct: { unit: '%', kind: 'gauge', definition: 'io ticks / interval (not saturation on NVMe)', source: '/proc/diskstats' },
  iowait_pct: { unit: '%', kind: 'gauge', definition: 'CPU iowait share of the interval', source: '/proc/stat' },
  kvbm_offload_blocks_h2d_delta: { unit: 'blocks', kind: 'counter', definition: 'host→disk offloaded blocks over the phase', source: 'KVBM /metrics' },
  kvbm_offload_blocks_d2d_delta: { unit: 'blocks', kind: 'counter', definition: 'device→disk offloaded blocks over the phase', source: 'KVBM /metrics' },
  kvbm_onboard_blocks_d2d_delta: { unit: 'blocks', kind: 'counter', definition: 'disk→device onboarded blocks over the phase', source: 'KVBM /metrics' },
  kvbm_onboard_blocks_h2d_delta: { unit: 'blocks', kind: 'counter', definition: 'host→device onboarded blocks over the phase (never disk)', source: 'KVBM /metrics' },
  kvbm_matched_tokens_delta: { unit: 'tokens', kind: 'counter', definition: 'tokens KVBM matched for onboarding over the phase', source: 'KVBM /metrics' },
}
