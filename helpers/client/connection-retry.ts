import { Client, type Dispatcher } from 'undici'

// Servers such as llama.cpp's llama-server close the connection after every streamed response
// without saying so; a pooled client that reuses that socket at once gets "other side closed"
// before a single response byte. The server never saw that request, so it is sent once more on a
// fresh connection (never a pooled one, which may be just as stale) and the record says it was
// retried. Anything that got a response byte, or failed any other way, is never retried: that
// would hide a real server failure.

/** The parts of an attempt's outcome this decision reads. */
export interface AttemptOutcome {
  http_status: number | null
  t_headers_ms: number | null
  error: { error_class: string; message: string } | null
}

const CLOSED = /\b(UND_ERR_SOCKET|UND_ERR_CLOSED|ECONNRESET|EPIPE)\b|other side closed|socket hang up/

/** True when the socket was closed before any response byte: safe to send again. */
export const closedBeforeResponse = (o: AttemptOutcome): boolean =>
  o.error !== null && o.error.error_class === 'connection' && o.http_status === null && o.t_headers_ms === null && CLOSED.test(o.error.message)

export interface RetryResult<O> {
  out: O
  /** The first attempt's error when the request was sent again, else null. */
  retriedAfter: string | null
}

/**
 * Runs `attempt` on the pool; if its socket closed before any response byte, runs it once more on a
 * one-off connection to `origin` (closed afterwards).
 */
export const sendWithFreshRetry = async <O extends AttemptOutcome>(
  origin: string,
  connectOptions: Client.Options,
  attempt: (dispatcher: Dispatcher | null) => Promise<O>,
): Promise<RetryResult<O>> => {
  const first = await attempt(null)
  if (!closedBeforeResponse(first)) return { out: first, retriedAfter: null }
  const fresh = new Client(origin, { ...connectOptions, pipelining: 1 })
  try {
    return { out: await attempt(fresh), retriedAfter: first.error!.message }
  } finally {
    fresh.close().catch(() => fresh.destroy())
  }
}
