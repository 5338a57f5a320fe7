import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import type { HealthStyle, ReadinessReport } from './target'

// Readiness is three facts, never one: the health endpoint says ready in the server's own terms
// (Dynamo answers HTTP 200 with status "unhealthy" until a worker registers), /v1/models lists a
// model, and one real completion streams to [DONE] within a stall timeout (a wedged engine keeps
// answering /health with 200).

export interface WaitReadyOptions {
  baseUrl: string
  /** Model to probe; when absent the first listed model is used. */
  model?: string
  healthStyle: HealthStyle
  /** @default 120_000 */
  timeoutMs?: number
  /** @default 250 */
  pollMs?: number
  /** Send one streamed completion as the last check. @default true */
  probe?: boolean
  /** A probe that has not finished within this is a stall. @default 30_000 */
  probeTimeoutMs?: number
}

interface Fetched {
  status: number | null
  body: string
  error: string | null
}

const get = async (url: string, timeoutMs: number): Promise<Fetched> => {
  try {
    const res = await request(url, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
    return { status: res.statusCode, body: await res.body.text(), error: null }
  } catch (err) {
    return { status: null, body: '', error: (err as Error).message }
  }
}

export const healthSaysReady = (style: HealthStyle, status: number | null, body: string): boolean => {
  if (status === null) return false
  if (style === 'http-status') return status >= 200 && status < 300
  if (status !== 200) return false
  try {
    return (JSON.parse(body) as { status?: string }).status === 'healthy'
  } catch {
    return false
  }
}

export const listModels = async (baseUrl: string, timeoutMs = 5000): Promise<string[]> => {
  const res = await get(`${baseUrl}/v1/models`, timeoutMs)
  if (res.status !== 200) return []
  try {
    const data = (JSON.parse(res.body) as { data?: { id?: string }[] }).data ?? []
    return data.map((m) => m.id).filter((id): id is string => typeof id === 'string')
  } catch {
    return []
  }
}

/** One short streamed completion; ok only when it ends with [DONE] and carried at least one token. */
export const probeCompletion = async (
  baseUrl: string,
  model: string,
  timeoutMs: number,
): Promise<ReadinessReport['probe']> => {
  const t0 = performance.now()
  const ac = new AbortController()
  const timer = setTimeout(() => ac.abort(), timeoutMs)
  try {
    const res = await request(`${baseUrl}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, prompt: 'Readiness probe: say hello.', max_tokens: 4, temperature: 0, stream: true }),
      signal: ac.signal,
    })
    let ttftMs: number | null = null
    let text = ''
    for await (const chunk of res.body) {
      text += chunk.toString()
      if (ttftMs === null && /"(text|content)":"[^"]/.test(text)) ttftMs = performance.now() - t0
    }
    if (res.statusCode !== 200) return { ok: false, ttftMs: null, error: `HTTP ${res.statusCode}: ${text.slice(0, 300)}` }
    if (/^event:\s*error/m.test(text)) return { ok: false, ttftMs, error: `stream error: ${text.slice(0, 300)}` }
    if (!text.includes('[DONE]')) return { ok: false, ttftMs, error: 'stream ended without [DONE]' }
    if (ttftMs === null) return { ok: false, ttftMs, error: 'stream carried no token' }
    return { ok: true, ttftMs, error: null }
  } catch (err) {
    const stalled = ac.signal.aborted
    return { ok: false, ttftMs: null, error: stalled ? `STALLED: no complete stream within ${timeoutMs} ms` : (err as Error).message }
  } finally {
    clearTimeout(timer)
  }
}

export const waitReady = async (opts: WaitReadyOptions): Promise<ReadinessReport> => {
  const timeoutMs = opts.timeoutMs ?? 120_000
  const pollMs = opts.pollMs ?? 250
  const t0 = performance.now()
  let last: ReadinessReport = {
    ready: false,
    health: { ok: false, status: null, body: '' },
    models: [],
    probe: { ok: false, ttftMs: null, error: 'not attempted' },
    elapsedMs: 0,
  }
  while (performance.now() - t0 < timeoutMs) {
    const h = await get(`${opts.baseUrl}/health`, 5000)
    const healthOk = healthSaysReady(opts.healthStyle, h.status, h.body)
    last = { ...last, health: { ok: healthOk, status: h.status, body: (h.error ?? h.body).slice(0, 500) } }
    if (healthOk) {
      const models = await listModels(opts.baseUrl)
      last = { ...last, models }
      const model = opts.model ?? models[0]
      if (models.length > 0 && model) {
        if (opts.probe === false) return { ...last, ready: true, elapsedMs: performance.now() - t0 }
        const probe = await probeCompletion(opts.baseUrl, model, opts.probeTimeoutMs ?? 30_000)
        last = { ...last, probe }
        if (probe.ok) return { ...last, ready: true, elapsedMs: performance.now() - t0 }
      }
    }
    await sleep(pollMs)
  }
  return { ...last, ready: false, elapsedMs: performance.now() - t0 }
}

/** One-line explanation of why a stack is not ready, for error messages and the dossier. */
export const describeNotReady = (r: ReadinessReport): string => {
  if (!r.health.ok) return `health not ready (HTTP ${r.health.status ?? 'none'}: ${r.health.body.slice(0, 200)})`
  if (r.models.length === 0) return '/v1/models is empty (no worker registered)'
  return `probe completion failed: ${r.probe.error}`
}
