import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { Socket } from 'node:net'
import type { Engine, EngineRequestHandle, FinishInfo } from '../engine/engine-types'
import { FaultSpecError, formatFaults, parseFaults, type FaultSet } from '../faults'
import { FrontendMetrics, type EndpointName, type ModelGauges } from './frontend-metrics'
import { HttpError } from './http-error'
import { LatenessRecorder } from './lateness-recorder'
import { OversizePromptError, parseRequest, type ModelContext, type ParsedRequest } from './parse-request'
import { TimingRing, type RequestTiming } from './timing-ring'

// kvsim's HTTP front: Dynamo frontend semantics on node:http, written for 1,000+ concurrent SSE
// streams on one core — no framework, one res.write per token, prebuilt frame prefixes, Nagle off.

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024

export interface KvsimServerOptions {
  engine: Engine
  model: ModelContext & ModelGauges
  faults?: FaultSet
  maxBodyBytes?: number
  /** One JSON object per call (the CLI writes them to stderr). */
  log?: (entry: Record<string, unknown>) => void
  /** Called after /admin/faults replaced the fault set (the KVBM port reacts to no_kvbm_metrics). */
  onFaultsChanged?: (faults: FaultSet) => void
  /**
   * Timing truth: called once per finished stream with the CLOCK_MONOTONIC ns taken just before each
   * token write (bench:client compares the client's timestamps with these).
   */
  writeLog?: (entry: { id: string; received_ns: string; writes_ns: string[] }) => void
}

export interface KvsimServer {
  readonly server: http.Server
  readonly metrics: FrontendMetrics
  readonly lateness: LatenessRecorder
  getFaults(): FaultSet
  setFaults(faults: FaultSet): void
  workerRegistered(): boolean
  listen(port: number, host: string): Promise<number>
  /** Ends in-flight streams with an SSE error event, closes the engine, then the listener. */
  close(): Promise<void>
}

interface ActiveRequest {
  fail(code: string, message: string): void
}

const ROUTES: Record<string, string[]> = {
  '/health': ['GET'],
  '/live': ['GET'],
  '/v1/models': ['GET'],
  '/metrics': ['GET'],
  '/v1/completions': ['POST'],
  '/v1/chat/completions': ['POST'],
  '/admin/faults': ['GET', 'POST'],
  '/debug/lateness': ['GET', 'DELETE'],
  '/debug/tiers': ['GET'],
}

const COMMON_HEADERS = { 'x-kvsim-emulated': '1' }

export const createKvsimServer = (opts: KvsimServerOptions): KvsimServer => {
  const { engine, model } = opts
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const log = opts.log ?? (() => {})
  const metrics = new FrontendMetrics(model)
  const lateness = new LatenessRecorder()
  const timings = new TimingRing()
  const active = new Set<ActiveRequest>()
  const startedAt = Date.now()
  let faults: FaultSet = opts.faults ?? parseFaults('')
  let droppedByOversize = false
  let closing = false
  let lastOnboardMs: number | null = null

  const applyEngineFaults = () => {
    engine.faults.corruptDisk = faults.corrupt_disk
    engine.faults.slowDiskMs = faults.slow_disk
    engine.faults.stall = faults.stall
  }
  applyEngineFaults()

  const workerRegistered = () => !closing && !faults.drop_worker && !droppedByOversize

  const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body)
    res.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
    res.end(text)
  }
  const sendError = (res: http.ServerResponse, err: HttpError, headers: Record<string, string> = {}) => {
    if (res.headersSent) {
      res.destroy()
      return
    }
    sendJson(res, err.status, err.body(), headers)
  }

  const readBody = (req: http.IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'])
      if (Number.isFinite(declared) && declared > maxBodyBytes) {
        reject(tooLarge(declared))
        return
      }
      const chunks: Buffer[] = []
      let size = 0
      let rejected = false
      req.on('data', (c: Buffer) => {
        if (rejected) return
        size += c.length
        if (size > maxBodyBytes) {
          rejected = true
          reject(tooLarge(size))
          return
        }
        chunks.push(c)
      })
      let ended = false
      req.on('end', () => {
        ended = true
        if (!rejected) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size))
      })
      req.on('error', (e) => {
        if (!rejected) reject(e)
        rejected = true
      })
      // A client that disconnects mid-body must not leave the handler waiting forever.
      req.on('close', () => {
        if (!ended && !rejected) {
          rejected = true
          reject(new Error('client closed the connection before the body ended'))
        }
      })
    })
  const tooLarge = (size: number) =>
    new HttpError(413, `Expected a request body of at most ${maxBodyBytes} bytes, got ${size} bytes or more`, 'invalid_request_error', null, 'request_too_large')

  const noEndpoints = () =>
    new HttpError(503, `Expected a registered worker for model "${model.servedModelName}", got none: No endpoints available`, 'service_unavailable', null, 'no_endpoints')

  const handleCompletion = async (endpoint: EndpointName, req: http.IncomingMessage, res: http.ServerResponse, receivedNs: bigint) => {
    let raw: Buffer
    try {
      raw = await readBody(req)
    } catch (e) {
      if (e instanceof HttpError) {
        // Stop reading the rest of an oversize body, answer, and close the connection.
        sendError(res, e, { connection: 'close' })
        req.resume()
      } else res.destroy()
      return
    }
    let body: unknown
    try {
      body = JSON.parse(raw.toString('utf8'))
    } catch (e) {
      sendError(res, new HttpError(400, `Expected a JSON request body, got invalid JSON: ${(e as Error).message}`, 'invalid_request_error', null, 'invalid_json'))
      return
    }
    const stream = typeof body === 'object' && body !== null && (body as { stream?: unknown }).stream === true
    const requestType = stream ? 'stream' : 'unary'
    if (!workerRegistered()) {
      metrics.countRequest(endpoint, requestType, 'error', 'no_endpoints')
      sendError(res, noEndpoints())
      return
    }
    let parsed: ParsedRequest
    try {
      parsed = parseRequest(endpoint, body, model)
    } catch (e) {
      if (!(e instanceof HttpError)) throw e
      if (e instanceof OversizePromptError && faults.unregister_on_oversize) {
        droppedByOversize = true
        log({ level: 'warn', msg: 'worker unregistered after an oversize prompt (unregister_on_oversize)', detail: e.message })
      }
      metrics.countRequest(endpoint, requestType, 'error', 'validation')
      sendError(res, e)
      return
    }
    if (faults.http_5xx > 0 && Math.random() < faults.http_5xx) {
      metrics.faultsInjected++
      metrics.countRequest(endpoint, requestType, 'error')
      const status = metrics.faultsInjected % 2 === 0 ? 503 : 500
      sendError(res, new HttpError(status, `Expected the backend to answer, got an injected HTTP ${status} (fault http_5xx)`, 'internal_server_error', null, 'injected_http_5xx'))
      return
    }
    runGeneration(endpoint, parsed, res, receivedNs)
  }

  const runGeneration = (endpoint: EndpointName, p: ParsedRequest, res: http.ServerResponse, receivedNs: bigint) => {
    const chat = endpoint === 'chat_completions'
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`
    const created = Math.floor(Date.now() / 1000)
    const modelJson = JSON.stringify(p.model)
    const timing: RequestTiming = {
      id,
      endpoint,
      stream: p.stream,
      status: 'in_progress',
      received_ns: receivedNs.toString(),
      first_token_ns: null,
      last_token_ns: null,
      prompt_tokens: p.promptTokens.length,
      completion_tokens: 0,
      cached_tokens: 0,
      max_lateness_ms: 0,
      error: null,
    }
    timings.put(timing)
    metrics.inflight++
    metrics.activeRequests++
    metrics.requestsStarted++
    metrics.isl.observe(p.promptTokens.length)
    const cutAt = faults.cut_stream > 0 && Math.random() < faults.cut_stream ? Math.max(1, Math.floor(p.maxTokens / 2)) : 0
    if (cutAt) metrics.faultsInjected++

    const head = chat
      ? `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${modelJson},"choices":[{"index":0,"delta":{`
      : `data: {"id":"${id}","object":"text_completion","created":${created},"model":${modelJson},"choices":[{"index":0,"text":`
    const tail = chat ? `},"logprobs":null,"finish_reason":null}]}\n\n` : `,"logprobs":null,"finish_reason":null}]}\n\n`

    let handle: EngineRequestHandle | undefined
    let finished = false
    let tokens = 0
    let lastNs = 0n
    let maxLateNs = 0
    const pieces: string[] = []
    const writes: bigint[] | null = opts.writeLog && p.stream ? [] : null

    const finish = (status: RequestTiming['status'], error: string | null = null) => {
      finished = true
      if (writes) opts.writeLog?.({ id, received_ns: timing.received_ns, writes_ns: writes.map(String) })
      // Stringified once here, not per token: BigInt formatting is the costliest step of a write.
      if (lastNs !== 0n && timing.last_token_ns === null) timing.last_token_ns = lastNs.toString()
      active.delete(entry)
      metrics.inflight--
      metrics.activeRequests--
      timing.status = status
      timing.error = error
      timing.completion_tokens = tokens
      timing.max_lateness_ms = maxLateNs / 1e6
    }
    const cut = () => {
      finish('cut', 'cut_stream fault: connection destroyed mid-stream')
      handle?.cancel()
      metrics.countRequest(endpoint, p.stream ? 'stream' : 'unary', 'error', 'cancelled')
      res.destroy()
    }

    const onToken = (text: string, _tokenId: number, dueNs: bigint) => {
      if (finished) return
      tokens++
      metrics.outputTokens++
      if (p.stream) {
        if (text !== '' || tokens === 1) {
          const content = JSON.stringify(text)
          // Stamped before the write: the client cannot see the bytes earlier than this.
          if (writes) writes.push(process.hrtime.bigint())
          res.write(chat ? `${head}${tokens === 1 ? '"role":"assistant","content":' : '"content":'}${content}${tail}` : `${head}${content}${tail}`)
        }
      } else pieces.push(text)
      const now = process.hrtime.bigint()
      const late = Number(now - dueNs)
      lateness.record(late)
      metrics.lateness.observe(late > 0 ? late / 1e9 : 0)
      if (late > maxLateNs) maxLateNs = late
      if (tokens === 1) {
        timing.first_token_ns = now.toString()
        metrics.ttft.observe(Number(now - receivedNs) / 1e9)
      } else metrics.itl.observe(Number(now - lastNs) / 1e9)
      lastNs = now
      if (cutAt && tokens >= cutAt) cut()
    }

    const onDone = (info: FinishInfo) => {
      if (finished) return
      if (cutAt) {
        cut()
        return
      }
      const usage = {
        prompt_tokens: info.promptTokens,
        completion_tokens: info.completionTokens,
        total_tokens: info.promptTokens + info.completionTokens,
        prompt_tokens_details: { cached_tokens: info.cachedTokens },
      }
      timing.cached_tokens = info.cachedTokens
      timing.prompt_tokens = info.promptTokens
      if (p.stream && tokens > 0) timing.last_token_ns = lastNs.toString()
      if (p.stream) {
        const fin = chat
          ? { id, object: 'chat.completion.chunk', created, model: p.model, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: info.finishReason }] }
          : { id, object: 'text_completion', created, model: p.model, choices: [{ index: 0, text: '', logprobs: null, finish_reason: info.finishReason }] }
        let out = `data: ${JSON.stringify(fin)}\n\n`
        if (p.includeUsage) {
          const kvsim_timing = { received_ns: timing.received_ns, first_token_ns: timing.first_token_ns, last_token_ns: timing.last_token_ns }
          const u = { id, object: fin.object, created, model: p.model, choices: [], usage, kvsim_timing }
          out += `data: ${JSON.stringify(u)}\n\n`
        }
        res.end(`${out}data: [DONE]\n\n`)
      } else {
        const now = process.hrtime.bigint()
        if (tokens === 0) timing.first_token_ns = null
        timing.last_token_ns = tokens === 0 ? null : now.toString()
        const text = pieces.join('')
        const kvsim_timing = { received_ns: timing.received_ns, first_token_ns: timing.first_token_ns, last_token_ns: timing.last_token_ns }
        const choice = chat
          ? { index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: info.finishReason }
          : { index: 0, text, logprobs: null, finish_reason: info.finishReason }
        sendJson(res, 200, { id, object: chat ? 'chat.completion' : 'text_completion', created, model: p.model, choices: [choice], usage, kvsim_timing }, { 'x-request-id': id })
      }
      finish('success')
      metrics.countRequest(endpoint, p.stream ? 'stream' : 'unary', 'success')
      metrics.osl.observe(info.completionTokens)
      metrics.cached.observe(info.cachedTokens)
      metrics.duration.observe(Number(process.hrtime.bigint() - receivedNs) / 1e9)
      if (info.cachedTokens > 0) {
        const ms = engine.stats().lastOnboardMs
        if (ms !== null && ms !== lastOnboardMs) metrics.onboard.observe(ms / 1000)
        lastOnboardMs = ms
      }
    }

    const onError = (err: { code: string; message: string }) => {
      if (finished) return
      finish('error', `${err.code}: ${err.message}`)
      metrics.countRequest(endpoint, p.stream ? 'stream' : 'unary', 'error')
      const errorBody = { error: { message: err.message, type: 'internal_server_error', param: null, code: err.code } }
      if (p.stream && res.headersSent) res.end(`event: error\ndata: ${JSON.stringify(errorBody)}\n\n`)
      else sendJson(res, 500, errorBody, { 'x-request-id': id })
    }

    const entry: ActiveRequest = { fail: (code, message) => onError({ code, message }) }
    active.add(entry)

    res.on('close', () => {
      if (finished) return
      // The client went away before the end: free the engine slot and count it as Dynamo does.
      finish('disconnected', 'client disconnected')
      metrics.disconnectedClients++
      handle?.cancel()
    })

    if (p.stream) {
      res.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': id })
      // Dynamo commits 200 before the first token; later backend errors become SSE error events.
      res.flushHeaders()
    }
    handle = engine.submit(
      {
        id,
        promptTokens: p.promptTokens,
        maxTokens: p.maxTokens,
        ignoreEos: p.ignoreEos,
        temperature: p.temperature,
        topP: p.topP,
        seed: p.seed,
        stop: p.stop,
        adapter: p.adapter,
        receivedNs,
        needle: p.needle,
      },
      { onToken, onDone, onError },
    )
    if (finished) handle.cancel()
  }

  const handleAdminFaults = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method === 'GET') {
      sendJson(res, 200, { spec: formatFaults(faults), faults, worker_registered: workerRegistered() })
      return
    }
    let raw: Buffer
    try {
      raw = await readBody(req)
    } catch (e) {
      if (e instanceof HttpError) sendError(res, e, { connection: 'close' })
      else res.destroy()
      return
    }
    let spec = raw.toString('utf8')
    if (/json/.test(req.headers['content-type'] ?? '')) {
      try {
        const parsed = JSON.parse(spec) as unknown
        if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { spec?: unknown }).spec === 'string') spec = (parsed as { spec: string }).spec
        else throw new Error('no spec string')
      } catch {
        sendError(res, new HttpError(400, `Expected a JSON body {"spec": "<fault spec>"}, got ${JSON.stringify(spec.slice(0, 80))}`, 'invalid_request_error', 'spec', 'invalid_json'))
        return
      }
    }
    try {
      const next = parseFaults(spec)
      setFaults(next)
      sendJson(res, 200, { spec: formatFaults(faults), faults, worker_registered: workerRegistered() })
    } catch (e) {
      if (!(e instanceof FaultSpecError)) throw e
      sendError(res, new HttpError(400, e.message, 'invalid_request_error', e.token, 'invalid_fault_spec'))
    }
  }

  const setFaults = (next: FaultSet) => {
    faults = next
    // Replacing the faults re-registers a worker that an oversize prompt dropped.
    droppedByOversize = false
    applyEngineFaults()
    log({ level: 'info', msg: 'faults replaced', spec: formatFaults(faults) })
    opts.onFaultsChanged?.(faults)
  }

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const receivedNs = process.hrtime.bigint()
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const method = req.method ?? 'GET'
    const allowed = ROUTES[path]
    const debugMatch = path.startsWith('/debug/requests/') ? decodeURIComponent(path.slice('/debug/requests/'.length)) : null
    if (!allowed && debugMatch === null) {
      req.resume()
      sendError(res, new HttpError(404, `Expected a known route, got ${method} ${path}`, 'invalid_request_error', null, 'not_found'))
      return
    }
    if (debugMatch !== null ? method !== 'GET' : !allowed.includes(method)) {
      req.resume()
      const allow = debugMatch !== null ? 'GET' : allowed.join(', ')
      sendError(res, new HttpError(405, `Expected method ${allow} for ${path}, got ${method}`, 'invalid_request_error', null, 'method_not_allowed'), { allow })
      return
    }
    if (debugMatch !== null) {
      const t = timings.get(debugMatch)
      if (t) sendJson(res, 200, t)
      else sendError(res, new HttpError(404, `Expected the id of one of the last ${timings.capacity} requests, got "${debugMatch}"`, 'invalid_request_error', 'id', 'not_found'))
      return
    }
    switch (path) {
      case '/v1/completions':
        void handleCompletion('completions', req, res, receivedNs).catch((e) => internalError(res, e))
        return
      case '/v1/chat/completions':
        void handleCompletion('chat_completions', req, res, receivedNs).catch((e) => internalError(res, e))
        return
      case '/health':
        // As current Dynamo: /health is liveness, 200 "healthy" even with zero workers (PR #7763);
        // only /v1/models and a completion show whether a worker serves.
        sendJson(res, 200, {
          status: 'healthy',
          endpoints: workerRegistered() ? ['dyn://kvsim.worker.generate'] : [],
          instances: workerRegistered() ? [{ component: 'worker', endpoint: 'generate', namespace: 'kvsim', instance_id: process.pid, transport: 'emulated' }] : [],
        })
        return
      case '/live':
        sendJson(res, 200, { status: 'live' })
        return
      case '/v1/models':
        sendJson(res, 200, {
          object: 'list',
          data: workerRegistered() ? [{ id: model.servedModelName, object: 'model', created: Math.floor(startedAt / 1000), owned_by: 'kvsim' }] : [],
        })
        return
      case '/metrics': {
        const text = metrics.render(engine.stats(), { workerRegistered: workerRegistered(), uptimeS: (Date.now() - startedAt) / 1000 })
        res.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
        res.end(text)
        return
      }
      case '/debug/tiers': {
        // Ground truth of every tier transition, whatever metric dialect the tier port speaks: the
        // backend conformance test checks each normaliser against it.
        sendJson(res, 200, { tokens_per_block: engine.tokensPerBlock, kvbm: engine.kvbmCounters(), prefix: engine.prefixCounters() })
        return
      }
      case '/debug/lateness': {
        // DELETE reads and resets in one step, so a bench can close one window and open the next.
        const summary = lateness.summary()
        if (method === 'DELETE') lateness.reset()
        sendJson(res, 200, summary)
        return
      }
      case '/admin/faults':
        void handleAdminFaults(req, res).catch((e) => internalError(res, e))
        return
    }
  }

  const internalError = (res: http.ServerResponse, e: unknown) => {
    log({ level: 'error', msg: 'request handler failed', error: String((e as Error)?.stack ?? e) })
    sendError(res, new HttpError(500, `Expected the request to be handled, got an internal error: ${(e as Error)?.message ?? e}`, 'internal_server_error', null, 'internal_error'))
  }

  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, onRequest)
  server.on('connection', (socket: Socket) => socket.setNoDelay(true))
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n')
    else socket.destroy()
    log({ level: 'debug', msg: 'client error', error: String(err) })
  })
  // Thousands of concurrent streams: never cap sockets or requests per socket.
  server.maxHeadersCount = 200
  server.maxRequestsPerSocket = 0

  const listen = (port: number, host: string) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ port, host, backlog: 4096 }, () => {
        server.off('error', reject)
        const addr = server.address()
        resolve(typeof addr === 'object' && addr ? addr.port : port)
      })
    })

  const close = async () => {
    if (closing) return
    closing = true
    server.close()
    await engine.close()
    // The engine fails in-flight work through onError; anything it missed ends here.
    for (const a of [...active]) a.fail('shutdown', 'kvsim is shutting down')
    await new Promise((r) => setTimeout(r, 20))
    server.closeAllConnections()
  }

  return { server, metrics, lateness, getFaults: () => faults, setFaults, workerRegistered, listen, close }
}
