import { createHash } from 'node:crypto'

// Identity hashes of the prior harness (§2): SHA-256 over canonical JSON (sorted keys, compact,
// UTF-8), so "identical request" is checkable across runs, tools and languages.

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

/** JSON with object keys sorted at every level and no whitespace; undefined fields are dropped. */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

export const hashCanonical = (value: unknown): string => sha256(canonicalJson(value))

/** The generation parameters that define a request besides its prompt (missing ones are null). */
export interface IdentityParams {
  max_tokens: number
  temperature: number | null
  top_p: number | null
  stop: string[] | null
  stream: boolean
  seed: number | null
}

export interface RequestIdentity {
  prompt_sha: string
  params_hash: string
  identity_hash: string
  payload_hash: string
}

/**
 * `prompt` is what the model reads (the templated string); `payloadPrompt` what is sent (messages
 * for chat, the string for completions). identity = {model, prompt_sha, params}; payload =
 * {model, prompt, params}.
 */
export const requestIdentity = (model: string, prompt: string, params: IdentityParams, payloadPrompt: unknown = prompt): RequestIdentity => {
  const prompt_sha = sha256(prompt)
  return {
    prompt_sha,
    params_hash: hashCanonical(params),
    identity_hash: hashCanonical({ model, prompt_sha, params }),
    payload_hash: hashCanonical({ model, prompt: payloadPrompt, params }),
  }
}
