import type { ErrorClass } from './request-record'
import type { SseEvent } from './sse-parser'

// What one streamed completion has told us so far, event by event. Kept apart from the transport
// so every timing rule of metrics.md is unit-testable without a socket.

export interface UsageInfo {
  prompt_tokens: number | null
  completion_tokens: number | null
  cached_tokens: number | null
}

export interface KvsimTiming {
  received_ns: bigint
  first_token_ns: bigint | null
  last_token_ns: bigint | null
}

export interface StreamState {
  /** Feed one SSE event received at run-clock time `t` (the arrival time of its chunk). */
  event(ev: SseEvent, t: number): void
  readonly t_first_chunk_ms: number | null
  readonly t_first_token_ms: number | null
  readonly t_last_token_ms: number | null
  /** Time of the `[DONE]` event, null until seen. */
  readonly t_done_ms: number | null
  readonly token_events: number
  /** A fresh array of the gaps so far (built from the typed buffer on each read: read it once, at the end). */
  readonly itl_ms: number[]
  readonly usage: UsageInfo | null
  readonly response_id: string | null
  readonly kvsim_timing: KvsimTiming | null
  readonly error: { error_class: ErrorClass; message: string } | null
  /** Generated text (content / text, not reasoning). */
  text(): string
}

type Choice = { text?: unknown; delta?: { content?: unknown; reasoning_content?: unknown }; message?: { content?: unknown } }
type Payload = {
  id?: unknown
  choices?: Choice[]
  usage?: {
    prompt_tokens?: unknown
    completion_tokens?: unknown
    prompt_tokens_details?: { cached_tokens?: unknown } | null
    kvsim_timing?: Record<string, unknown>
  } | null
  kvsim_timing?: Record<string, unknown>
  error?: unknown
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const big = (v: unknown): bigint | null => {
  if (typeof v === 'string' && v.length > 0) {
    try {
      return BigInt(v)
    } catch {
      return null
    }
  }
  return typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : null
}

export const parseKvsimTiming = (raw: Record<string, unknown> | undefined): KvsimTiming | null => {
  if (!raw || typeof raw !== 'object') return null
  const received = big(raw.received_ns)
  if (received === null) return null
  return { received_ns: received, first_token_ns: big(raw.first_token_ns), last_token_ns: big(raw.last_token_ns) }
}

export const parseUsage = (u: Payload['usage']): UsageInfo | null => {
  if (!u || typeof u !== 'object') return null
  return {
    prompt_tokens: num(u.prompt_tokens),
    completion_tokens: num(u.completion_tokens),
    cached_tokens: num(u.prompt_tokens_details?.cached_tokens ?? null),
  }
}

const errorText = (e: unknown): string => {
  if (typeof e === 'string') return e
  if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message
  return JSON.stringify(e)
}

export const createStreamState = (opts: { keepItl: boolean }): StreamState => {
  let tFirstChunk: number | null = null
  let tFirstToken: number | null = null
  let tLastToken: number | null = null
  let tDone: number | null = null
  let tokenEvents = 0
  // Gaps go into a preallocated typed buffer (no boxed numbers, no array growth per token on the
  // hot path); it doubles only past 64 tokens and is copied out once when the record is built.
  let itl = new Float64Array(opts.keepItl ? 64 : 0)
  let itlN = 0
  const parts: string[] = []
  let usage: UsageInfo | null = null
  let responseId: string | null = null
  let timing: KvsimTiming | null = null
  let error: StreamState['error'] = null

  const fail = (error_class: ErrorClass, message: string) => {
    if (error === null) error = { error_class, message }
  }

  return {
    event(ev, t) {
      if (ev.event === 'error') return fail('stream_error', `Expected a completion event, got SSE event: error: ${ev.data.slice(0, 500)}`)
      const d = ev.data
      if (d.length === 0) return
      if (d === '[DONE]') {
        if (tDone === null) tDone = t
        return
      }
      if (tFirstChunk === null) tFirstChunk = t
      let p: Payload
      try {
        p = JSON.parse(d) as Payload
      } catch {
        // A half-received payload at the end of a cut stream is truncation, not a server error.
        return fail(ev.complete ? 'stream_error' : 'truncated', `Expected JSON in SSE data, got ${JSON.stringify(d.slice(0, 200))}`)
      }
      if (p === null || typeof p !== 'object') return fail('stream_error', `Expected a JSON object in SSE data, got ${d.slice(0, 200)}`)
      if (p.error !== undefined && p.error !== null) return fail('stream_error', `Expected a completion chunk, got error: ${errorText(p.error).slice(0, 500)}`)
      if (responseId === null && typeof p.id === 'string') responseId = p.id
      const c = p.choices?.[0]
      if (c) {
        let text = ''
        let reasoning = false
        if (typeof c.text === 'string') text = c.text
        else if (c.delta) {
          if (typeof c.delta.content === 'string') text = c.delta.content
          reasoning = typeof c.delta.reasoning_content === 'string' && c.delta.reasoning_content.length > 0
        }
        if (text.length > 0 || reasoning) {
          if (tFirstToken === null) tFirstToken = t
          else if (opts.keepItl) {
            if (itlN === itl.length) {
              const grown = new Float64Array(itl.length * 2)
              grown.set(itl)
              itl = grown
            }
            itl[itlN++] = t - (tLastToken as number)
          }
          tLastToken = t
          tokenEvents++
          if (text.length > 0) parts.push(text)
        }
      }
      if (p.usage) {
        usage = parseUsage(p.usage)
        timing = parseKvsimTiming(p.usage.kvsim_timing) ?? timing
      }
      if (p.kvsim_timing) timing = parseKvsimTiming(p.kvsim_timing) ?? timing
    },
    get t_first_chunk_ms() {
      return tFirstChunk
    },
    get t_first_token_ms() {
      return tFirstToken
    },
    get t_last_token_ms() {
      return tLastToken
    },
    get t_done_ms() {
      return tDone
    },
    get token_events() {
      return tokenEvents
    },
    get itl_ms() {
      return Array.from(itl.subarray(0, itlN))
    },
    get usage() {
      return usage
    },
    get response_id() {
      return responseId
    },
    get kvsim_timing() {
      return timing
    },
    get error() {
      return error
    },
    text: () => parts.join(''),
  }
}
