import type { ErrorClass } from './request-record'

// Maps a thrown transport error to a record's error class. `phase` says where it happened, because
// the same socket error means `connection` before the headers and `truncated` mid-stream (the
// stream closed without `[DONE]`).
export const classifyTransportError = (err: unknown, phase: 'headers' | 'body'): ErrorClass => {
  const e = err as { code?: string; name?: string } | null
  const code = e?.code ?? ''
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout_headers'
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'timeout_body'
  if (code === 'UND_ERR_ABORTED' || e?.name === 'AbortError') return 'client'
  const transport =
    code === 'UND_ERR_SOCKET' ||
    code === 'UND_ERR_CLOSED' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ENOTFOUND' ||
    code === 'EHOSTUNREACH' ||
    code === 'ETIMEDOUT'
  if (transport) return phase === 'headers' ? 'connection' : 'truncated'
  return 'client'
}

// The HTTP status family as the record names it (`http_status` keeps the exact code).
export const classifyHttpStatus = (status: number): ErrorClass => (status >= 500 ? 'http_5xx' : 'http_4xx')

export const errorMessage = (err: unknown): string => {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code
    return code ? `${code}: ${err.message}` : err.message
  }
  return String(err)
}
