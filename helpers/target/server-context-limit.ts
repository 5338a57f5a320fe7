import { request } from 'undici'

// The context limit a running server really has, read from the server rather than a model spec
// (a spec said 8,192 for a server that accepts 32,768, so an "over-limit" probe was just served).
// Sources, first that answers: /v1/models data[].meta.n_ctx (llama.cpp), max_model_len (vLLM,
// SGLang), /props default_generation_settings.n_ctx (llama.cpp). null when none does.

export interface ServerContextLimit {
  tokens: number
  source: string
}

const getJson = async (url: string): Promise<unknown> => {
  try {
    const res = await request(url, { method: 'GET', headersTimeout: 5000, bodyTimeout: 5000 })
    const text = await res.body.text()
    return res.statusCode === 200 ? (JSON.parse(text) as unknown) : null
  } catch {
    return null
  }
}

const posInt = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null)

/** Pure part, for tests: the limit found in a /v1/models body and a /props body. */
export const contextLimitFrom = (models: unknown, props: unknown, model?: string): ServerContextLimit | null => {
  const data = (models as { data?: Record<string, unknown>[] } | null)?.data
  if (Array.isArray(data)) {
    const entry = data.find((d) => d.id === model) ?? data[0]
    const meta = entry?.meta as Record<string, unknown> | undefined
    const nCtx = posInt(meta?.n_ctx) ?? posInt(meta?.n_ctx_train)
    if (nCtx) return { tokens: nCtx, source: `/v1/models meta.${posInt(meta?.n_ctx) ? 'n_ctx' : 'n_ctx_train'}` }
    const maxLen = posInt(entry?.max_model_len)
    if (maxLen) return { tokens: maxLen, source: '/v1/models max_model_len' }
  }
  const p = props as { default_generation_settings?: { n_ctx?: unknown } } | null
  const propsCtx = posInt(p?.default_generation_settings?.n_ctx)
  if (propsCtx) return { tokens: propsCtx, source: '/props default_generation_settings.n_ctx' }
  return null
}

export const readServerContextLimit = async (baseUrl: string, model?: string): Promise<ServerContextLimit | null> => {
  const models = await getJson(`${baseUrl}/v1/models`)
  const found = contextLimitFrom(models, null, model)
  if (found) return found
  return contextLimitFrom(null, await getJson(`${baseUrl}/props`), model)
}
