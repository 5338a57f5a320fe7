import { z } from 'zod'
import { PERCENTILE_METHOD } from '../analysis/percentile'

// The one place every figure tierbench reports is defined (reference/metrics.md made executable).
// The reporter writes METRIC_DEFINITIONS and PERCENTILE_METHOD into each summary.json, so a reader
// never has to guess whether "TTFT" meant first byte, first event or first token.

export const MetricDefinition = z.object({
  unit: z.string(),
  /** trend: a distribution (percentiles); counter: a per-phase delta; gauge: a level; rate: a ratio or per-second figure. */
  kind: z.enum(['trend', 'counter', 'gauge', 'rate']),
  definition: z.string(),
  /** Where the figure comes from (file, collector, counter). */
  source: z.string(),
})
export type MetricDefinition = z.infer<typeof MetricDefinition>

const REQ = 'client, raw/requests.jsonl (run monotonic clock)'
const PHASE = 'helpers/analysis/phase-summary.ts over the phase records'
const DISK = 'block-device collector, /proc/diskstats deltas (iostat -x semantics)'
const KVBM = 'KVBM /metrics counter, end − start snapshot of the phase (clamped at 0)'

const kvbmDelta = (name: string, what: string): [string, MetricDefinition] => [
  `kvbm_${name}_delta`,
  { unit: name.includes('tokens') ? 'tokens' : 'blocks', kind: 'counter', definition: `Δ kvbm_${name} over the phase: ${what}`, source: KVBM },
]

export const METRIC_DEFINITIONS: Record<string, MetricDefinition> = {
  // --- request timestamps ---
  t_scheduled_ms: { unit: 'ms', kind: 'gauge', definition: 'When the executor meant to send the request: open loop, the arrival time from the schedule; closed loop, when a slot freed.', source: REQ },
  t_sent_ms: { unit: 'ms', kind: 'gauge', definition: 'Just before the request is handed to the HTTP client.', source: REQ },
  t_headers_ms: { unit: 'ms', kind: 'gauge', definition: 'Response headers received.', source: REQ },
  t_first_chunk_ms: { unit: 'ms', kind: 'gauge', definition: 'First SSE data event with a non-empty payload (may be role-only).', source: REQ },
  t_first_token_ms: { unit: 'ms', kind: 'gauge', definition: 'First SSE event carrying generated text (choices[0].text or delta.content non-empty).', source: REQ },
  t_last_token_ms: { unit: 'ms', kind: 'gauge', definition: 'Last SSE event carrying generated text.', source: REQ },
  t_end_ms: { unit: 'ms', kind: 'gauge', definition: 'End of the response: [DONE], stream close, or the error.', source: REQ },
  // --- request figures ---
  schedule_delay_ms: { unit: 'ms', kind: 'trend', definition: 't_sent − t_scheduled. Large values mean the load generator, not the server, is behind (CLIENT_BOTTLENECK).', source: REQ },
  ttfb_ms: { unit: 'ms', kind: 'trend', definition: 't_headers − t_sent. The only first-response figure of non-streaming requests.', source: REQ },
  ttfc_ms: { unit: 'ms', kind: 'trend', definition: 'First non-empty SSE data event − t_sent (may be a role-only chunk; the prior harness called this TTFT).', source: REQ },
  ttft_ms: { unit: 'ms', kind: 'trend', definition: 'First token-bearing SSE event − t_sent. Streaming only; over successful requests.', source: REQ },
  ttft_from_schedule_ms: { unit: 'ms', kind: 'trend', definition: 'First token-bearing event − t_scheduled: the user-visible TTFT under open-loop load (coordinated-omission safe).', source: REQ },
  itl_ms: { unit: 'ms', kind: 'trend', definition: 'Gaps between consecutive token-bearing events; phase percentiles are over all gaps of all successful requests.', source: REQ },
  tpot_ms: { unit: 'ms', kind: 'trend', definition: '(t_last_token − t_first_token) / (output_tokens − 1) (vLLM TPOT = AIPerf ITL).', source: REQ },
  e2e_ms: { unit: 'ms', kind: 'trend', definition: 't_end − t_sent.', source: REQ },
  input_tokens: { unit: 'tokens', kind: 'counter', definition: 'usage.prompt_tokens, else the model tokenizer count (input_tokens_source says which).', source: REQ },
  output_tokens: { unit: 'tokens', kind: 'counter', definition: 'usage.completion_tokens (asked with stream_options.include_usage), else the tokenizer count (output_tokens_source says which).', source: REQ },
  cached_tokens: { unit: 'tokens', kind: 'counter', definition: 'usage.prompt_tokens_details.cached_tokens when the server reports it.', source: REQ },
  client_overhead_ms: { unit: 'ms', kind: 'trend', definition: 'Client first token − server first token (server_timing.first_token_ms, same run clock): transport plus client parsing.', source: REQ },
  error_http_4xx: { unit: 'requests', kind: 'counter', definition: 'HTTP status 400–499.', source: REQ },
  error_http_5xx: { unit: 'requests', kind: 'counter', definition: 'HTTP status 500–599.', source: REQ },
  error_stream_error: { unit: 'requests', kind: 'counter', definition: 'SSE `event: error` or an error JSON after a 200.', source: REQ },
  error_timeout_headers: { unit: 'requests', kind: 'counter', definition: 'No response headers within the header timeout.', source: REQ },
  error_timeout_body: { unit: 'requests', kind: 'counter', definition: 'The body stalled past the body timeout.', source: REQ },
  error_connection: { unit: 'requests', kind: 'counter', definition: 'Connection refused, reset or closed before a response.', source: REQ },
  error_truncated: { unit: 'requests', kind: 'counter', definition: 'Stream closed without [DONE].', source: REQ },
  error_client: { unit: 'requests', kind: 'counter', definition: 'Error inside the client (bug or abort).', source: REQ },
  error_refused_preflight: { unit: 'requests', kind: 'counter', definition: 'Not sent: the prompt exceeds the engine ceiling (preflight).', source: REQ },
  error_dropped: { unit: 'requests', kind: 'counter', definition: 'Not sent: the open-loop executor dropped an arrival it could not schedule.', source: REQ },
  // --- phase figures ---
  count: { unit: 'requests', kind: 'counter', definition: 'Requests of the phase (ok + errors).', source: PHASE },
  ok: { unit: 'requests', kind: 'counter', definition: 'Requests that completed without error.', source: PHASE },
  errors: { unit: 'requests', kind: 'counter', definition: 'Requests with an error class.', source: PHASE },
  error_rate: { unit: 'ratio', kind: 'rate', definition: 'errors / count (0–1); null when nothing was sent.', source: PHASE },
  stalled_requests: { unit: 'requests', kind: 'counter', definition: 'timeout_headers + timeout_body + truncated (REQUEST_STALL).', source: PHASE },
  req_per_s: { unit: 'req/s', kind: 'rate', definition: 'Successful requests / phase wall time.', source: PHASE },
  output_tok_per_s: { unit: 'tokens/s', kind: 'rate', definition: 'Output tokens of successful requests / phase wall time.', source: PHASE },
  wall_ms: { unit: 'ms', kind: 'gauge', definition: 'Phase wall time: phase end − phase start on the run clock.', source: 'raw/phases.jsonl' },
  models_listed: { unit: 'models', kind: 'gauge', definition: 'Models in GET /v1/models at a phase boundary (MODEL_DROPPED when 0).', source: 'target readiness probe' },
  long_context_ok: { unit: 'bool', kind: 'gauge', definition: '1 when a >= 32k-token smoke request completed, else 0.', source: 'dataset L smoke probe' },
  // --- telemetry ---
  r_s: { unit: 'ops/s', kind: 'rate', definition: 'Reads completed per second (Δ reads / interval).', source: DISK },
  w_s: { unit: 'ops/s', kind: 'rate', definition: 'Writes completed per second.', source: DISK },
  rMB_s: { unit: 'MB/s', kind: 'rate', definition: 'Δ sectors read × 512 / 10^6 / interval.', source: DISK },
  wMB_s: { unit: 'MB/s', kind: 'rate', definition: 'Δ sectors written × 512 / 10^6 / interval.', source: DISK },
  read_bytes: { unit: 'bytes', kind: 'counter', definition: 'Δ sectors read × 512 over the phase (whole device).', source: DISK },
  write_bytes: { unit: 'bytes', kind: 'counter', definition: 'Δ sectors written × 512 over the phase (whole device).', source: DISK },
  r_await_ms: { unit: 'ms', kind: 'gauge', definition: 'Δ read ticks / Δ reads: mean read latency including queue time.', source: DISK },
  w_await_ms: { unit: 'ms', kind: 'gauge', definition: 'Δ write ticks / Δ writes.', source: DISK },
  aqu_sz: { unit: 'requests', kind: 'gauge', definition: 'Δ weighted io ticks / interval: mean queue depth.', source: DISK },
  util_pct: { unit: '%', kind: 'gauge', definition: 'Δ io ticks / interval × 100. Not saturation on NVMe (parallel queues).', source: DISK },
  process_read_bytes: { unit: 'bytes', kind: 'counter', definition: 'Δ read_bytes of the serving processes (/proc/<pid>/io) or cgroup io.stat rbytes.', source: 'process/cgroup IO collector' },
  process_write_bytes: { unit: 'bytes', kind: 'counter', definition: 'Δ write_bytes of the serving processes or cgroup io.stat wbytes.', source: 'process/cgroup IO collector' },
  cpu_user_pct: { unit: '%', kind: 'gauge', definition: 'Δ user + nice jiffies / Δ total jiffies × 100.', source: '/proc/stat' },
  cpu_system_pct: { unit: '%', kind: 'gauge', definition: 'Δ system + irq + softirq jiffies / Δ total × 100.', source: '/proc/stat' },
  cpu_iowait_pct: { unit: '%', kind: 'gauge', definition: 'Δ iowait jiffies / Δ total × 100.', source: '/proc/stat' },
  mem_available_bytes: { unit: 'bytes', kind: 'gauge', definition: 'MemAvailable: memory available without swapping.', source: '/proc/meminfo' },
  mem_cached_bytes: { unit: 'bytes', kind: 'gauge', definition: 'Cached (page cache).', source: '/proc/meminfo' },
  mem_dirty_bytes: { unit: 'bytes', kind: 'gauge', definition: 'Dirty: page-cache bytes waiting for writeback.', source: '/proc/meminfo' },
  // --- KVBM (counter deltas per phase; windowed hit-rate gauges are recorded, never evidence) ---
  ...Object.fromEntries([
    kvbmDelta('offload_blocks_d2h', 'device → host (G1 → G2) offloads'),
    kvbmDelta('offload_blocks_h2d', 'host → disk (G2 → G3) offloads'),
    kvbmDelta('offload_blocks_d2d', 'device → disk offloads, bypassing host (B3)'),
    kvbmDelta('onboard_blocks_h2d', 'host → device onboards (host tier; never counts as disk)'),
    kvbmDelta('onboard_blocks_d2d', 'disk → device onboards (disk rehydrate)'),
    kvbmDelta('matched_tokens', 'tokens KVBM matched for onboarding (reuse)'),
  ]),
  kvbm_host_cache_hit_rate: { unit: 'ratio', kind: 'gauge', definition: 'KVBM sliding-window host hit rate at the phase end; recorded only, never per-phase evidence.', source: 'KVBM /metrics gauge' },
  kvbm_disk_cache_hit_rate: { unit: 'ratio', kind: 'gauge', definition: 'KVBM sliding-window disk hit rate at the phase end; recorded only, never per-phase evidence.', source: 'KVBM /metrics gauge' },
  kvbm_metrics_reachable: { unit: 'bool', kind: 'gauge', definition: '1 when the KVBM /metrics endpoint answered with the required counters at the phase boundaries.', source: 'Prometheus collector' },
  kvbm_disk_offload_blocks_delta: { unit: 'blocks', kind: 'counter', definition: 'Δoffload_blocks_h2d + Δoffload_blocks_d2d: blocks written to the disk tier.', source: 'helpers/analysis/mechanism.ts' },
  kvbm_disk_tier_blocks_delta: { unit: 'blocks', kind: 'counter', definition: 'Disk writes (h2d + d2d offload) + disk reads (d2d onboard); 0 in a true B1.', source: 'helpers/analysis/mechanism.ts' },
  // --- normalised tier counters (any tiering backend; helpers/backends/tier-counters.ts) ---
  disk_offload_tokens: { unit: 'tokens (bytes when evidence = os)', kind: 'counter', definition: 'Δ offload host→disk + device→disk tokens over the phase; where the backend has no such counter, bytes the engine processes wrote with files under the cache dir (gate details name the evidence).', source: 'helpers/analysis/mechanism.ts diskOffloadFigure' },
  disk_onboard_tokens: { unit: 'tokens (bytes when evidence = os)', kind: 'counter', definition: 'Δ onboard disk→device tokens (else cached prompt tokens from disk); where the backend has no such counter, storage reads of the engine processes with O_DIRECT confirmed or the page cache dropped (0 with an empty cache dir). Host onboarding never counts.', source: 'helpers/analysis/mechanism.ts diskRehydrateFigure' },
  offload_cached_tokens: { unit: 'tokens', kind: 'counter', definition: 'Prompt tokens served from the offload tiers (host or disk): KVBM matched_tokens, vLLM external_prefix_cache_hits, LMCache num_hit_tokens, SGLang cached_tokens{host,storage}.', source: 'helpers/analysis/mechanism.ts offloadReuseFigure' },
  disk_tier_tokens: { unit: 'tokens (files when evidence = os)', kind: 'counter', definition: 'Every disk-tier movement (writes + reads) in tokens; without disk counters, the files held open under the cache dir. 0 in a true B1.', source: 'helpers/analysis/mechanism.ts diskTierActivityFigure' },
  // --- derived ---
  aligned_pct: { unit: '%', kind: 'rate', definition: 'Share of latency samples with a telemetry sample within one cadence (v3.0 alignment gate).', source: 'helpers/analysis/alignment.ts' },
  u_work: { unit: 'x (concurrency)', kind: 'gauge', definition: 'Sweep ascending; the knee is the first step where p99 > 2 × p50 for two consecutive steps; U_work is one step below (v3.0 §2). "No knee" is reported explicitly.', source: 'helpers/analysis/knee.ts' },
  knee_x: { unit: 'x (swept value)', kind: 'gauge', definition: 'The swept value at the knee (first of the two consecutive steps).', source: 'helpers/analysis/knee.ts' },
  slo_capacity_x: { unit: 'x (swept value)', kind: 'gauge', definition: 'Largest concurrency/rate/context meeting the SLO (TTFT p95/p99 on one named metric, error rate), below the first failing step.', source: 'helpers/analysis/slo-capacity.ts' },
  ttft_p99_cov_pct: { unit: '%', kind: 'gauge', definition: 'Sample SD / mean × 100 of TTFT p99 across repetitions.', source: 'helpers/analysis/repetition.ts' },
  ttft_p99_max_rel_dev_pct: { unit: '%', kind: 'gauge', definition: 'max |p99_i − mean| / mean × 100 across repetitions.', source: 'helpers/analysis/repetition.ts' },
  paired_delta: { unit: 'same as the figure', kind: 'trend', definition: 'Per AB/BA pair: figure(B) − figure(A), B the mode under test; negative TTFT delta = B faster.', source: 'helpers/analysis/paired.ts' },
  ttft_p99_paired_delta_ci_hi_ms: { unit: 'ms', kind: 'gauge', definition: 'Upper bound of the bootstrap CI of the mean paired TTFT p99 delta (B − A).', source: 'helpers/analysis/paired.ts' },
  ttft_p99_delta_ci_lo_ms: { unit: 'ms', kind: 'gauge', definition: 'Lower bound of the 95 % percentile-bootstrap CI of TTFT p99 (compared phases) − TTFT p99 (reference phases), samples resampled independently.', source: 'helpers/analysis/percentile-delta.ts' },
  order_effect_sd: { unit: 'pooled SD', kind: 'gauge', definition: '|mean AB deltas − mean BA deltas| / pooled SD; flagged at >= 1.', source: 'helpers/analysis/paired.ts' },
  pairs: { unit: 'pairs', kind: 'counter', definition: 'AB/BA pairs measured.', source: 'helpers/analysis/paired.ts' },
  tier2_hit_pct: { unit: '%', kind: 'rate', definition: 'Δonboard disk→device / (Δonboard disk→device + Δonboard host→device) × 100 in normalised tokens (KVBM: d2d / (d2d + h2d) blocks); backends that only split cached prompt tokens by tier use those.', source: 'helpers/analysis/mechanism.ts tier2HitPctOf' },
  r_s_excess_over_idle_pct: { unit: '%', kind: 'gauge', definition: '(r_s − idle r_s) / max(idle r_s, 1) × 100 (stack A control).', source: 'helpers/analysis/idle-baseline.ts' },
  predicted_read_bytes: { unit: 'bytes', kind: 'counter', definition: 'Δonboard_blocks_d2d × block bytes.', source: 'helpers/analysis/correlation.ts' },
  predicted_write_bytes: { unit: 'bytes', kind: 'counter', definition: '(Δoffload_blocks_h2d + Δoffload_blocks_d2d) × block bytes.', source: 'helpers/analysis/correlation.ts' },
  disk_read_bytes_ratio: { unit: 'ratio', kind: 'rate', definition: 'Observed read bytes (device or process) / predicted_read_bytes.', source: 'helpers/analysis/correlation.ts' },
  attributed_io_pct: { unit: '%', kind: 'rate', definition: 'Serving process/cgroup bytes / device bytes × 100 over the phase.', source: 'process/cgroup IO + block-device collectors' },
  lag_r: { unit: 'r', kind: 'gauge', definition: 'Best Pearson or Spearman r between two windowed series over lags −k…+k windows, with its lag.', source: 'helpers/analysis/correlation.ts' },
  // --- trace what-if (helpers/trace/trace-whatif.ts: one LRU stack-distance pass over the trace) ---
  trace_ideal_token_hit_ratio: { unit: 'ratio', kind: 'rate', definition: 'Prompt tokens of the trace whose block (and every block before it in the row) was seen before: the hit ratio of an infinite prefix cache.', source: 'helpers/trace/trace-whatif.ts' },
  trace_lru_token_hit_ratio: { unit: 'ratio', kind: 'rate', definition: 'Prompt tokens an LRU prefix cache of the given size would serve (a block counts only while every earlier block of its row is served), from LRU stack distances.', source: 'helpers/trace/trace-whatif.ts' },
  trace_reuse_distance_blocks: { unit: 'blocks', kind: 'trend', definition: 'LRU stack distance of a re-accessed trace block: distinct blocks touched since its previous access (an LRU of C blocks hits when distance < C).', source: 'helpers/trace/stack-distance.ts' },
  trace_predicted_cached_tokens: { unit: 'tokens', kind: 'counter', definition: 'Prompt tokens the what-if predicts served from cache at the mode\'s tier capacities (inclusive tiers, LRU, prefix semantics, disk offload filter of B2: second use), split device / host / disk.', source: 'helpers/trace/trace-whatif.ts' },
  trace_predicted_disk_read_bytes_per_s: { unit: 'bytes/s', kind: 'rate', definition: 'Predicted disk-served tokens x the model profile\'s KV bytes per token / the replayed trace duration.', source: 'helpers/trace/trace-whatif.ts' },
  trace_cached_tokens_measured_over_predicted: { unit: 'ratio', kind: 'rate', definition: 'Cached prompt tokens the server reported over the phase / trace_predicted_cached_tokens; null when the prediction is below 4 engine blocks.', source: 'suites/trace-replay.test.ts' },
  trace_disk_tokens_measured_over_predicted: { unit: 'ratio', kind: 'rate', definition: 'Tokens onboarded from the disk tier (Δonboard_blocks_d2d x tokens per block) / predicted disk-served tokens; null without a disk prediction or counters.', source: 'suites/trace-replay.test.ts' },
  integrity_failures: { unit: 'requests', kind: 'counter', definition: 'Replayed temperature-0 answers whose output_sha differs from the reference for the same identity_hash, plus wrongly answered needles.', source: 'helpers/analysis/integrity.ts' },
}


/** What summary.json carries: the definitions and the percentile method. */
export const metricDefinitionsDocument = (): { percentile_method: string; metrics: Record<string, MetricDefinition> } => ({
  percentile_method: PERCENTILE_METHOD,
  metrics: METRIC_DEFINITIONS,
})
