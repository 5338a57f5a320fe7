import http from 'node:http'

// A small node:http client for tests: raw status, headers and SSE frames, and whether the stream
// ended with [DONE], an `event: error`, or a connection cut.

export interface SseResult {
  status: number
  headers: http.IncomingHttpHeaders
  /** Parsed JSON of every `data:` frame except [DONE]. */
  chunks: Record<string, any>[]
  errorEvents: Record<string, any>[]
  done: boolean
  /** Connection closed before the response ended. */
  aborted: boolean
  text: string
  raw: string
  usage: Record<string, any> | null
  timing: { received_ns: string; first_token_ns: string; last_token_ns: string } | null
  json: Record<string, any> | null
}

export const request = (
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  opts: { rawBody?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<SseResult> =>
  new Promise((resolve, reject) => {
    const payload = opts.rawBody ?? (body === undefined ? undefined : JSON.stringify(body))
    const req = http.request(`${baseUrl}${path}`, {
      method,
      agent: false,
      headers: { 'content-type': 'application/json', ...(payload !== undefined ? { 'content-length': Buffer.byteLength(payload) } : {}), ...opts.headers },
    })
    req.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code === 'ECONNRESET' || (e as NodeJS.ErrnoException).code === 'EPIPE') {
        resolve({ status: 0, headers: {}, chunks: [], errorEvents: [], done: false, aborted: true, text: '', raw: '', usage: null, timing: null, json: null })
      } else reject(e)
    })
    req.on('response', (res) => {
      let raw = ''
      let aborted = false
      res.setEncoding('utf8')
      res.on('data', (c: string) => (raw += c))
      res.on('aborted', () => (aborted = true))
      res.on('error', () => (aborted = true))
      res.on('close', () => {
        if (!res.complete) aborted = true
        const chunks: Record<string, any>[] = []
        const errorEvents: Record<string, any>[] = []
        let done = false
        let json: Record<string, any> | null = null
        if ((res.headers['content-type'] ?? '').includes('text/event-stream')) {
          for (const frame of raw.split('\n\n')) {
            if (frame.trim() === '') continue
            const lines = frame.split('\n')
            const isError = lines.some((l) => l === 'event: error')
            const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')
            if (data === '[DONE]') done = true
            else if (isError) errorEvents.push(JSON.parse(data))
            else if (data) chunks.push(JSON.parse(data))
          }
        } else if (raw) {
          try {
            json = JSON.parse(raw)
          } catch {
            json = null
          }
        }
        const pieces = chunks.flatMap((c) => (c.choices ?? []).map((ch: any) => ch.text ?? ch.delta?.content ?? ''))
        const usageChunk = chunks.find((c) => c.usage) ?? json
        const text = json ? (json.choices?.[0]?.text ?? json.choices?.[0]?.message?.content ?? '') : pieces.join('')
        resolve({
          status: res.statusCode ?? 0, headers: res.headers, chunks, errorEvents, done, aborted, text, raw,
          usage: usageChunk?.usage ?? null, timing: usageChunk?.kvsim_timing ?? null, json,
        })
      })
    })
    if (payload !== undefined) req.end(payload)
    else req.end()
  })

export const completion = (baseUrl: string, body: Record<string, unknown>) =>
  request(baseUrl, 'POST', '/v1/completions', { model: 'kvsim/tiny', max_tokens: 8, ...body })

export const streamCompletion = (baseUrl: string, body: Record<string, unknown>) =>
  completion(baseUrl, { stream: true, stream_options: { include_usage: true }, ...body })

export const getText = async (url: string): Promise<{ status: number; text: string }> => {
  const r = await fetch(url)
  return { status: r.status, text: await r.text() }
}

/** Value of an unlabelled (or first matching) Prometheus sample. */
export const sample = (exposition: string, name: string): number | undefined => {
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#')) continue
    const sp = line.lastIndexOf(' ')
    const key = line.slice(0, sp)
    if (key === name || key.startsWith(`${name}{`)) return Number(line.slice(sp + 1))
  }
  return undefined
}

/**
 * A prompt of about 4 Llama-3 tokens per word whose token count does not depend on `tag`; the tag
 * opens the prompt so every KV block of the hash chain differs between tags.
 */
export const longPrompt = (tag: string, words: number): string => {
  let seed = 0
  for (const c of tag) seed = (seed * 31 + c.charCodeAt(0)) % 1009
  const out: string[] = [`[${tag}]`]
  for (let i = 0; i < words; i++) out.push(`word${100 + ((i * 7919 + seed) % 900)}`)
  return out.join(' ')
}
