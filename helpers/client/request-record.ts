import { z } from 'zod'

// One line of raw/requests.jsonl. Times are milliseconds on the run's monotonic clock:
// (process.hrtime.bigint() - run origin) / 1e6, where the origin is taken once by globalSetup and
// shared with every worker and collector (CLOCK_MONOTONIC is the same across processes on a host).
// Definitions of every figure: helpers/metrics/metric-definitions.ts (and reference/metrics.md).
export const ErrorClass = z.enum([
  'http_4xx',
  'http_5xx',
  'stream_error',
  'timeout_headers',
  'timeout_body',
  'connection',
  'truncated',
  'client',
  'refused_preflight',
  'dropped',
])
export type ErrorClass = z.infer<typeof ErrorClass>

export const ServerTiming = z.object({
  /** Server's own monotonic timestamps (ms on the same run clock), from kvsim's timing truth. */
  received_ms: z.number(),
  first_token_ms: z.number().nullable(),
  last_token_ms: z.number().nullable(),
})
export type ServerTiming = z.infer<typeof ServerTiming>

export const RequestRecord = z.object({
  run_id: z.string(),
  suite_id: z.string(),
  phase: z.string(),
  phase_kind: z.enum(['warmup', 'measure', 'probe']),
  mode: z.string(),
  /** Sweep coordinates of the phase, e.g. {concurrency: 8} or {context_tokens: 4096}. */
  step: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  repetition: z.number().int().nonnegative().optional(),
  seq: z.number().int().nonnegative(),
  request_id: z.string(),
  workload: z.string(),
  session_id: z.string().optional(),
  turn: z.number().int().nonnegative().optional(),
  adapter: z.string().optional(),
  endpoint: z.enum(['completions', 'chat']),
  stream: z.boolean(),
  max_tokens: z.number().int().positive(),
  /** Hashes as the prior harness kept them: sha256 over canonical JSON. */
  prefix_hash: z.string().optional(),
  prompt_sha: z.string(),
  params_hash: z.string(),
  identity_hash: z.string(),
  payload_hash: z.string(),
  prompt_tokens_expected: z.number().int().nonnegative(),

  t_scheduled_ms: z.number(),
  t_sent_ms: z.number(),
  t_headers_ms: z.number().nullable(),
  t_first_chunk_ms: z.number().nullable(),
  t_first_token_ms: z.number().nullable(),
  t_last_token_ms: z.number().nullable(),
  t_end_ms: z.number(),
  wall_sent_ms: z.number(),

  schedule_delay_ms: z.number(),
  ttfb_ms: z.number().nullable(),
  ttfc_ms: z.number().nullable(),
  ttft_ms: z.number().nullable(),
  ttft_from_schedule_ms: z.number().nullable(),
  tpot_ms: z.number().nullable(),
  e2e_ms: z.number(),
  /** Gaps between consecutive token-bearing events; omitted when the client is told not to keep them. */
  itl_ms: z.array(z.number()).optional(),

  ok: z.boolean(),
  http_status: z.number().int().nullable(),
  error_class: ErrorClass.nullable(),
  error_message: z.string().nullable(),

  input_tokens: z.number().int().nonnegative().nullable(),
  input_tokens_source: z.enum(['usage', 'tokenizer']).nullable(),
  output_tokens: z.number().int().nonnegative().nullable(),
  output_tokens_source: z.enum(['usage', 'tokenizer']).nullable(),
  cached_tokens: z.number().int().nonnegative().nullable(),
  /** sha256 of the generated text: answer integrity compares these across modes. */
  output_sha: z.string().nullable(),
  /** The generated text itself, kept only for integrity probes (needles) to bound file size. */
  output_text: z.string().optional(),
  response_id: z.string().nullable(),
  x_request_id: z.string().nullable(),
  server_timing: ServerTiming.nullable(),
  /** Set when the first attempt's socket closed before any response byte and the request was sent again on a fresh connection: that first error. */
  retried_after: z.string().optional(),
  /** Most cached tokens the workload intended for this prompt (nonced prompts only): the contamination gate's bound. */
  reusable_tokens_max: z.number().int().nonnegative().optional(),
})
export type RequestRecord = z.infer<typeof RequestRecord>
