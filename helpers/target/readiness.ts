import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import type { HealthStyle, ReadinessReport } from './target'

// Readiness is three facts, never one: the health endpoint answers, /v1/models lists a model, and
// one completion streams at least one token to its end. For Dynamo /health is liveness only:
// current builds answer 200 "healthy" even with zero workers (PR #7763), older ones 200
// "unhealthy" until a worker registers, so neither body proves a worker serves. The probe has a
// silence (stall) timeout because a wedged engine keeps answering /health with 200, and an empty
// stream is not an answer. Every driver (emulator, external, dynamo) uses this.

export interface ReadinessOptions {
  baseUrl: string
  /** Model to probe; defaults to the first id from /v1/models. */
  model?: string
  healthStyle: HealthStyle
  /** @default 120000 */
  timeoutMs?: number
  /** Stream one completion to the end. @default true */
  probe?: boolean
  /** No bytes on the probe stream for this long → probe.error starts with STALLED. @default 120000 */
  stallMs?: number
  /** @default 500 */
  pollMs?: number
  /** Stop early (e.g. the worker process exited). */
  signal?: AbortSignal
}

const HEALTHY = new Set(['healthy', 'ready', 'ok'])

/**
 * Whether a /health answer lets the readiness check go on to /v1/models and the probe. For Dynamo
 * it is liveness: HTTP 200 whatever the body says (503 `not_ready` only while the HTTP service
 * starts); a body with an explicit non-healthy status other than Dynamo's "unhealthy" (no worker
 * yet, which /v1/models shows anyway) is not ready.
 */
export const healthSaysReady = (style: HealthStyle, status: number | null, body: string): boolean => {
  if (status === null) return false
  if (style === 'http-status') return status >= 200 && status < 300
  if (status !== 200) return false
  try {
    const s = (JSON.parse(body) as { status?: unknown }).status
    return typeof s !== 'string' || HEALTHY.has(s.toLowerCase()) || s.toLowerCase() === 'unhealthy'
  } catch {
    return true
  }
}

export const checkHealth = async (baseUrl: string, style: HealthStyle): Promise<ReadinessReport['health']> => {
  try {
    const res = await request(`${baseUrl}/health`, { method: 'GET', headersTimeout: 5000, bodyTimeout: 5000 })
    const body = await res.body.text()
    return { ok: healthSaysReady(style, res.statusCode, body), status: res.statusCode, body: body.slice(0, 500) }
  } catch (err) {
    return { ok: false, status: null, body: String((err as Error).message ?? err) }
  }
}

export const listModels = async (baseUrl: string): Promise<string[]> => {
  const res = await request(`${baseUrl}/v1/models`, { method: 'GET', headersTimeout: 5000, bodyTimeout: 5000 })
  const body = await res.body.text()
  if (res.statusCode !== 200) throw new Error(`Expected 200 from ${baseUrl}/v1/models, got ${res.statusCode}: ${body.slice(0, 200)}`)
  const data = (JSON.parse(body) as { data?: { id?: unknown }[] }).data
  return Array.isArray(data) ? data.map((m) => m.id).filter((id): id is string => typeof id === 'string') : []
}

/** Streams one short completion; resolves with its TTFT or an error (`STALLED …` when the stream goes quiet). */
export const probeCompletion = async (
  baseUrl: string,
  model: string,
  opts: { stallMs: number; prompt?: string; maxTokens?: number },
): Promise<ReadinessReport['probe']> => {
  const controller = new AbortController()
  let stalled = false
  let timer: NodeJS.Timeout | undefined
  const arm = () => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      stalled = true
      controller.abort()
    }, opts.stallMs)
  }
  const start = performance.now()
  let ttftMs: number | null = null
  try {
    arm()
    const res = await request(`${baseUrl}/v1/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, prompt: opts.prompt ?? 'Say hello.', max_tokens: opts.maxTokens ?? 8, temperature: 0, stream: true }),
    })
    if (res.statusCode !== 200) {
      const text = await res.body.text()
      return { ok: false, ttftMs: null, error: `HTTP ${res.statusCode}: ${text.slice(0, 300)}` }
    }
    let buf = ''
    let done = false
    let events = 0
    let tokens = 0
    for await (const chunk of res.body) {
      arm()
      buf += chunk.toString('utf8')
      let idx: number
      while ((idx = buf.search(/\r?\n\r?\n/)) >= 0) {
        const raw = buf.slice(0, idx)
        buf = buf.slice(idx).replace(/^\r?\n\r?\n/, '')
        const lines = raw.split(/\r?\n/)
        const isError = lines.some((l) => /^event:\s*error/.test(l))
        const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n')
        if (!data) continue
        if (data === '[DONE]') {
          done = true
          continue
        }
        let json: { error?: unknown; choices?: { text?: string; delta?: { content?: string } }[]; usage?: { completion_tokens?: unknown } } = {}
        try {
          json = JSON.parse(data)
        } catch {
          if (isError) return { ok: false, ttftMs, error: `stream error: ${data.slice(0, 300)}` }
          continue
        }
        if (isError || json.error) return { ok: false, ttftMs, error: `stream error: ${JSON.stringify(json.error ?? data).slice(0, 300)}` }
        events++
        const text = json.choices?.[0]?.text ?? json.choices?.[0]?.delta?.content ?? ''
        if (text.length > 0) tokens++
        else if (typeof json.usage?.completion_tokens === 'number') tokens = Math.max(tokens, json.usage.completion_tokens)
        if (ttftMs === null && text.length > 0) ttftMs = performance.now() - start
      }
    }
    if (!done && events === 0) return { ok: false, ttftMs, error: 'stream ended without any completion event' }
    // A stream of empty chunks ends "fine" on a stack that generates nothing: not ready.
    if (tokens === 0) return { ok: false, ttftMs, error: `stream ended without a token (${events} empty event${events === 1 ? '' : 's'})` }
    return { ok: true, ttftMs: ttftMs ?? performance.now() - start, error: null }
  } catch (err) {
    if (stalled) return { ok: false, ttftMs, error: `STALLED: no bytes on the probe stream for ${opts.stallMs} ms` }
    return { ok: false, ttftMs, error: String((err as Error).message ?? err) }
  } finally {
    clearTimeout(timer)
  }
}

/** Polls until ready or timeout; a STALLED probe ends the wait at once (retrying would hang again). */
export const waitReady = async (opts: ReadinessOptions): Promise<ReadinessReport> => {
  const t0 = performance.now()
  const deadline = t0 + (opts.timeoutMs ?? 120_000)
  const pollMs = opts.pollMs ?? 500
  let report: ReadinessReport = {
    ready: false,
    health: { ok: false, status: null, body: '' },
    models: [],
    probe: { ok: false, ttftMs: null, error: 'not attempted' },
    elapsedMs: 0,
  }
  while (!opts.signal?.aborted) {
    report.health = await checkHealth(opts.baseUrl, opts.healthStyle)
    if (report.health.ok) {
      try {
        report.models = await listModels(opts.baseUrl)
      } catch (err) {
        report.models = []
        report.probe = { ok: false, ttftMs: null, error: String((err as Error).message) }
      }
      if (report.models.length > 0) {
        if (opts.probe === false) {
          report = { ...report, ready: true, probe: { ok: true, ttftMs: null, error: 'probe skipped' } }
          break
        }
        // A configured name the server does not list would 404; probe what it serves and let the caller compare.
        const model = opts.model && report.models.includes(opts.model) ? opts.model : report.models[0]
        report.probe = await probeCompletion(opts.baseUrl, model, { stallMs: opts.stallMs ?? 120_000 })
        if (report.probe.ok) {
          report.ready = true
          break
        }
        if (report.probe.error?.startsWith('STALLED')) break
      }
    }
    if (performance.now() + pollMs > deadline) break
    await sleep(pollMs, undefined, { signal: opts.signal }).catch(() => undefined)
  }
  report.elapsedMs = performance.now() - t0
  return report
}

/** One-line explanation of why a stack is not ready, for error messages and the dossier. */
export const describeNotReady = (r: ReadinessReport): string => {
  if (!r.health.ok) return `health not ready (HTTP ${r.health.status ?? 'none'}: ${r.health.body.slice(0, 200)})`
  if (r.models.length === 0) return `/v1/models is empty (no worker registered)${r.probe.error && r.probe.error !== 'not attempted' ? `: ${r.probe.error}` : ''}`
  return `probe completion failed: ${r.probe.error}`
}
