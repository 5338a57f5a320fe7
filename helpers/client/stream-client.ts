import { createHash } from 'node:crypto'
import { type Dispatcher, Pool } from 'undici'
import { sendWithFreshRetry } from './connection-retry'
import type { Tokenizer } from '../tokenizer/tokenizer'
import type { ClientRequest } from '../workload/workload-types'
import { classifyHttpStatus, classifyTransportError, errorMessage } from './classify-error'
import type { ErrorClass, RequestRecord, ServerTiming } from './request-record'
import type { RunClock } from './run-clock'
import { createDeferredParseQueue } from './deferred-parse-queue'
import { createSseParser } from './sse-parser'
import { newRecord } from './record-identity'
import { createStreamState, parseKvsimTiming, parseUsage, type KvsimTiming, type UsageInfo } from './stream-state'

export interface StreamClientOptions {
  /** Origin of the OpenAI-compatible server, optionally with a path prefix (`http://127.0.0.1:8000`). */
  baseUrl: string
  model: string
  /** Pool connections; requests beyond it queue inside undici (visible in `stats().queued`). */
  maxInFlight: number
  clock: RunClock
  /** @default 300000 (undici's default) */
  headersTimeoutMs?: number
  /** Longest gap between two body chunks. @default 300000 */
  bodyTimeoutMs?: number
  /** Keep per-request ITL gaps in the record. @default true */
  keepItl?: boolean
  /** Counts tokens when the server sends no usage. */
  tokenizer?: Tokenizer
  /** Reuse connections between requests. @default true (false: one connection per request) */
  keepAlive?: boolean
}

export interface SendContext {
  t_scheduled_ms: number
  run_id: string
  suite_id: string
  phase: string
  phase_kind: RequestRecord['phase_kind']
  mode: string
  step?: RequestRecord['step']
  repetition?: number
  seq: number
  /** Aborts the request (phase interrupted); the record gets error_class `client`. */
  signal?: AbortSignal
}

export interface ClientStats {
  queued: number
  pending: number
  running: number
  connected: number
}

export interface StreamClient {
  /** Never rejects: a failed request is a record with ok=false and its error class. */
  send(req: ClientRequest, ctx: SendContext): Promise<RequestRecord>
  stats(): ClientStats
  close(): Promise<void>
}

/** Longest error body kept for the message; the rest is drained and discarded. */
const ERROR_BODY_LIMIT = 16 * 1024

const apiPath = (baseUrl: string, endpoint: ClientRequest['endpoint']): string => {
  let prefix = new URL(baseUrl).pathname.replace(/\/+$/, '')
  if (!prefix.endsWith('/v1')) prefix += '/v1'
  return `${prefix}/${endpoint === 'chat' ? 'chat/completions' : 'completions'}`
}

// Serialized once: the body of a 200k-token prompt is a Buffer handed to the socket as is.
export const serializeBody = (req: ClientRequest, model: string): Buffer => {
  const body: Record<string, unknown> = { model, ...req.body, stream: req.stream }
  if (req.stream) body.stream_options = { include_usage: true }
  return Buffer.from(JSON.stringify(body), 'utf8')
}

const headerValue = (v: string | string[] | undefined): string | null => (Array.isArray(v) ? (v[0] ?? null) : (v ?? null))

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

interface Outcome {
  http_status: number | null
  t_headers_ms: number | null
  t_first_chunk_ms: number | null
  t_first_token_ms: number | null
  t_last_token_ms: number | null
  t_end_ms: number
  itl_ms: number[] | undefined
  token_events: number
  text: string | null
  usage: UsageInfo | null
  response_id: string | null
  x_request_id: string | null
  kvsim_timing: KvsimTiming | null
  error: { error_class: ErrorClass; message: string } | null
}

export const createStreamClient = (opts: StreamClientOptions): StreamClient => {
  if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1) {
    throw new TypeError(`Expected maxInFlight to be a positive integer, got ${opts.maxInFlight}`)
  }
  const { clock, model } = opts
  const keepItl = opts.keepItl ?? true
  const origin = new URL(opts.baseUrl).origin
  const connectOptions = {
    headersTimeout: opts.headersTimeoutMs ?? 300_000,
    bodyTimeout: opts.bodyTimeoutMs ?? 300_000,
    keepAliveTimeout: 30_000,
  }
  const pool = new Pool(origin, { connections: opts.maxInFlight, pipelining: 1, ...connectOptions })
  const reset = opts.keepAlive === false
  const parseQueue = createDeferredParseQueue()
  const paths = { chat: apiPath(opts.baseUrl, 'chat'), completions: apiPath(opts.baseUrl, 'completions') }

  const exchange = async (req: ClientRequest, body: Buffer, ctx: SendContext, tSent: number, dispatcher: Dispatcher | null = null): Promise<Outcome> => {
    const out: Outcome = {
      http_status: null,
      t_headers_ms: null,
      t_first_chunk_ms: null,
      t_first_token_ms: null,
      t_last_token_ms: null,
      t_end_ms: tSent,
      itl_ms: undefined,
      token_events: 0,
      text: null,
      usage: null,
      response_id: null,
      x_request_id: null,
      kvsim_timing: null,
      error: null,
    }
    let res: Awaited<ReturnType<Pool['request']>>
    try {
      res = await (dispatcher ?? pool).request({
        method: 'POST',
        reset,
        path: paths[req.endpoint],
        headers: {
          'content-type': 'application/json',
          accept: req.stream ? 'text/event-stream' : 'application/json',
          'x-request-id': req.meta.request_id,
        },
        body,
        signal: ctx.signal,
      })
    } catch (err) {
      out.t_end_ms = clock.nowMs()
      out.error = { error_class: classifyTransportError(err, 'headers'), message: errorMessage(err) }
      return out
    }
    const tHeaders = clock.nowMs()
    out.t_headers_ms = tHeaders
    out.http_status = res.statusCode
    out.x_request_id = headerValue(res.headers['x-request-id'])
    const contentType = headerValue(res.headers['content-type']) ?? ''
    const resBody = res.body

    // Error statuses and non-SSE replies: keep a bounded prefix, drain the rest for connection reuse.
    const readAll = (limit: number) =>
      new Promise<{ text: string; t_end: number }>((resolve, reject) => {
        const chunks: Buffer[] = []
        let size = 0
        resBody.on('data', (chunk: Buffer) => {
          if (size < limit) {
            chunks.push(chunk)
            size += chunk.length
          }
        })
        resBody.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), t_end: clock.nowMs() }))
        resBody.on('error', reject)
      })

    try {
      if (res.statusCode >= 400) {
        const { text, t_end } = await readAll(ERROR_BODY_LIMIT)
        out.t_end_ms = t_end
        out.error = {
          error_class: classifyHttpStatus(res.statusCode),
          message: `Expected HTTP 2xx for request ${req.meta.request_id}, got ${res.statusCode}: ${text.slice(0, 500)}`,
        }
        return out
      }
      // Streams are parsed as SSE whatever the content type says, unless it is JSON (an error body).
      if (!req.stream || contentType.includes('application/json')) {
        const { text, t_end } = await readAll(Number.POSITIVE_INFINITY)
        out.t_end_ms = t_end
        let json: {
          id?: unknown
          error?: unknown
          choices?: { text?: unknown; message?: { content?: unknown } }[]
          usage?: Parameters<typeof parseUsage>[0] & { kvsim_timing?: Record<string, unknown> }
        }
        try {
          json = JSON.parse(text)
        } catch {
          out.error = {
            error_class: 'stream_error',
            message: `Expected ${req.stream ? 'an SSE stream' : 'a JSON body'} for request ${req.meta.request_id}, got ${contentType || 'no content-type'}: ${text.slice(0, 300)}`,
          }
          return out
        }
        if (json?.error != null || req.stream) {
          // A JSON body where a stream was asked for is the server reporting an error after 200.
          out.error = {
            error_class: 'stream_error',
            message: `Expected an SSE stream for request ${req.meta.request_id}, got JSON: ${text.slice(0, 500)}`,
          }
          return out
        }
        const c = json.choices?.[0]
        const t = typeof c?.text === 'string' ? c.text : typeof c?.message?.content === 'string' ? c.message.content : ''
        out.text = t
        out.usage = parseUsage(json.usage)
        out.kvsim_timing = parseKvsimTiming(json.usage?.kvsim_timing)
        out.response_id = typeof json.id === 'string' ? json.id : null
        return out
      }

      const state = createStreamState({ keepItl })
      let tChunk = tHeaders
      const parser = createSseParser((ev) => state.event(ev, tChunk))
      let sawBytes = false
      let rawHead = ''
      const feed = (chunk: Buffer, t: number) => {
        tChunk = t
        parser.push(chunk)
      }
      await new Promise<void>((resolve, reject) => {
        resBody.on('data', (chunk: Buffer) => {
          // One clock read per chunk, first thing: every event in it arrived at this instant.
          const t = clock.nowMs()
          if (!sawBytes) {
            sawBytes = true
            rawHead = chunk.subarray(0, 2048).toString('utf8')
          }
          parseQueue.push(feed, chunk, t)
        })
        resBody.on('end', () => {
          const t = clock.nowMs()
          parseQueue.flush()
          tChunk = t
          parser.end()
          resolve()
        })
        resBody.on('error', reject)
      }).catch((err) => {
        parseQueue.flush()
        parser.end()
        if (state.t_done_ms === null && state.error === null) {
          out.error = { error_class: classifyTransportError(err, 'body'), message: errorMessage(err) }
        }
      })
      const tClose = clock.nowMs()
      out.t_first_chunk_ms = state.t_first_chunk_ms
      out.t_first_token_ms = state.t_first_token_ms
      out.t_last_token_ms = state.t_last_token_ms
      out.t_end_ms = state.t_done_ms ?? tClose
      out.itl_ms = keepItl ? state.itl_ms : undefined
      out.token_events = state.token_events
      out.text = state.text()
      out.usage = state.usage
      out.response_id = state.response_id
      out.kvsim_timing = state.kvsim_timing
      if (out.error === null && state.error) out.error = state.error
      if (out.error === null && parser.events === 0 && rawHead.trimStart().startsWith('{')) {
        out.error = {
          error_class: 'stream_error',
          message: `Expected SSE events for request ${req.meta.request_id}, got JSON after HTTP ${res.statusCode}: ${rawHead.slice(0, 500)}`,
        }
      }
      if (out.error === null && state.t_done_ms === null) {
        out.error = {
          error_class: 'truncated',
          message: `Expected data: [DONE] before the stream closed for request ${req.meta.request_id}, got ${parser.events} events`,
        }
      }
      return out
    } catch (err) {
      resBody.destroy()
      out.t_end_ms = clock.nowMs()
      out.error = { error_class: classifyTransportError(err, 'body'), message: errorMessage(err) }
      return out
    }
  }

  const send = async (req: ClientRequest, ctx: SendContext): Promise<RequestRecord> => {
    let body: Buffer | null = null
    let clientError: string | null = null
    try {
      body = serializeBody(req, model)
    } catch (err) {
      clientError = `Expected a JSON-serializable body for request ${req.meta.request_id}, got ${errorMessage(err)}`
    }
    let tSent = clock.nowMs()
    let wallSent = clock.wallMs()
    let out: Outcome
    let retriedAfter: string | null = null
    if (body === null) {
      out = emptyOutcome(tSent, { error_class: 'client', message: clientError as string })
    } else {
      try {
        // A socket closed before any response byte is sent again once (connection-retry.ts); the
        // record's send time is then the retry's, and schedule_delay_ms carries the lost attempt.
        const r = await sendWithFreshRetry(origin, connectOptions, (d) => {
          if (d) [tSent, wallSent] = [clock.nowMs(), clock.wallMs()]
          return exchange(req, body as Buffer, ctx, tSent, d)
        })
        out = r.out
        retriedAfter = r.retriedAfter
      } catch (err) {
        out = emptyOutcome(clock.nowMs(), { error_class: 'client', message: errorMessage(err) })
      }
    }
    const record = buildRecord(req, ctx, tSent, wallSent, out, opts.tokenizer, clock)
    if (retriedAfter !== null) record.retried_after = retriedAfter
    return record
  }

  return {
    send,
    stats: () => {
      const s = pool.stats
      return { queued: s.queued, pending: s.pending, running: s.running, connected: s.connected }
    },
    close: async () => {
      await pool.close().catch(() => pool.destroy())
    },
  }
}

const emptyOutcome = (tEnd: number, error: Outcome['error']): Outcome => ({
  http_status: null,
  t_headers_ms: null,
  t_first_chunk_ms: null,
  t_first_token_ms: null,
  t_last_token_ms: null,
  t_end_ms: tEnd,
  itl_ms: undefined,
  token_events: 0,
  text: null,
  usage: null,
  response_id: null,
  x_request_id: null,
  kvsim_timing: null,
  error,
})

const toServerTiming = (k: KvsimTiming | null, clock: RunClock): ServerTiming | null =>
  k === null
    ? null
    : {
        received_ms: clock.fromNs(k.received_ns),
        first_token_ms: k.first_token_ns === null ? null : clock.fromNs(k.first_token_ns),
        last_token_ms: k.last_token_ns === null ? null : clock.fromNs(k.last_token_ns),
      }

// Derived figures exactly as reference/metrics.md defines them.
const buildRecord = (
  req: ClientRequest,
  ctx: SendContext,
  tSent: number,
  wallSent: number,
  o: Outcome,
  tokenizer: Tokenizer | undefined,
  clock: RunClock,
): RequestRecord => {
  const m = req.meta
  const ok = o.error === null
  let outputTokens: number | null = null
  let outputSource: RequestRecord['output_tokens_source'] = null
  if (o.usage?.completion_tokens != null) {
    outputTokens = o.usage.completion_tokens
    outputSource = 'usage'
  } else if (tokenizer && o.text !== null) {
    outputTokens = tokenizer.count(o.text)
    outputSource = 'tokenizer'
  }
  let inputTokens: number | null = null
  let inputSource: RequestRecord['input_tokens_source'] = null
  if (o.usage?.prompt_tokens != null) {
    inputTokens = o.usage.prompt_tokens
    inputSource = 'usage'
  } else if (o.http_status !== null) {
    // The workload counted the prompt with the model's tokenizer already (after the chat template).
    inputTokens = m.prompt_tokens_expected
    inputSource = 'tokenizer'
  }
  const stream = req.stream
  const tFirstToken = stream ? o.t_first_token_ms : null
  const tpot =
    tFirstToken !== null && o.t_last_token_ms !== null && outputTokens !== null && outputTokens > 1
      ? (o.t_last_token_ms - tFirstToken) / (outputTokens - 1)
      : null
  // Overwrites fields of one literal in place (see newRecord: no spread on this path).
  const record = newRecord(req, ctx)
  record.t_sent_ms = tSent
  record.t_headers_ms = o.t_headers_ms
  record.t_first_chunk_ms = stream ? o.t_first_chunk_ms : null
  record.t_first_token_ms = tFirstToken
  record.t_last_token_ms = stream ? o.t_last_token_ms : null
  record.t_end_ms = o.t_end_ms
  record.wall_sent_ms = wallSent
  record.schedule_delay_ms = tSent - ctx.t_scheduled_ms
  record.ttfb_ms = o.t_headers_ms === null ? null : o.t_headers_ms - tSent
  record.ttfc_ms = stream && o.t_first_chunk_ms !== null ? o.t_first_chunk_ms - tSent : null
  record.ttft_ms = tFirstToken === null ? null : tFirstToken - tSent
  record.ttft_from_schedule_ms = tFirstToken === null ? null : tFirstToken - ctx.t_scheduled_ms
  record.tpot_ms = tpot
  record.e2e_ms = o.t_end_ms - tSent
  record.ok = ok
  record.http_status = o.http_status
  record.error_class = o.error?.error_class ?? null
  record.error_message = o.error?.message ?? null
  record.input_tokens = inputTokens
  record.input_tokens_source = inputSource
  record.output_tokens = outputTokens
  record.output_tokens_source = outputSource
  record.cached_tokens = o.usage?.cached_tokens ?? null
  record.output_sha = o.text === null ? null : sha256(o.text)
  record.response_id = o.response_id
  record.x_request_id = o.x_request_id
  record.server_timing = toServerTiming(o.kvsim_timing, clock)
  if (stream && o.itl_ms !== undefined) record.itl_ms = o.itl_ms
  if (m.keep_text && o.text !== null) record.output_text = o.text
  return record
}
