import { z } from 'zod'

// Client timeouts. A 128k-token prefill on a 70B model takes minutes on Spark, so the defaults
// are generous; the executor records a timeout as an error class rather than retrying.

const Ms = z.int().positive()

export const ClientConfig = z.strictObject({
  connect_timeout_ms: Ms.default(10_000),
  /** Until response headers (covers queueing and prefill on servers that send headers late). */
  headers_timeout_ms: Ms.default(600_000),
  /** Longest silence between two body chunks. */
  body_timeout_ms: Ms.default(120_000),
  /** Whole request, headers to end of stream (prior harness --timeout-s 600). */
  request_timeout_ms: Ms.default(600_000),
  /** Waiting for /v1/models to list the model after a (re)start. */
  model_resolve_timeout_ms: Ms.default(180_000),
  stream: z.boolean().default(true),
})
export type ClientConfig = z.infer<typeof ClientConfig>
