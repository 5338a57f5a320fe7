import { applyChatTemplate, encodeTemplated, specialTokensFor, type ChatMessage, type ChatTemplateId } from '../../helpers/tokenizer/chat-template'
import type { Tokenizer } from '../../helpers/tokenizer/tokenizer'
import type { EndpointName } from './frontend-metrics'
import { badField, HttpError } from './http-error'
import { findNeedle } from './needle'

// Validates an OpenAI completions/chat body and turns it into what the engine needs. Unknown
// fields are ignored (harnesses send extras such as nvext); known fields are strictly typed.

export interface ModelContext {
  servedModelName: string
  tokenizer: Tokenizer
  chatTemplate: ChatTemplateId
  maxInputTokens: number
}

export interface ParsedRequest {
  endpoint: EndpointName
  stream: boolean
  includeUsage: boolean
  /** The model name to echo back (as sent). */
  model: string
  adapter: string | null
  promptTokens: number[]
  maxTokens: number
  ignoreEos: boolean
  temperature: number
  topP: number
  seed: number | null
  stop: string[]
  needle: { answer: string; tokenOffset: number } | null
}

/** Default max_tokens when a request omits it (OpenAI's completions default is 16). */
export const DEFAULT_MAX_TOKENS = 16

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Thrown for an oversize prompt so the server can apply unregister_on_oversize. */
export class OversizePromptError extends HttpError {}

export const parseRequest = (endpoint: EndpointName, body: unknown, ctx: ModelContext): ParsedRequest => {
  if (!isObject(body)) throw badField('body', 'a JSON object', body)

  const model = body.model
  if (typeof model !== 'string' || model === '') throw badField('model', 'a non-empty string', model)
  let adapter: string | null = null
  const base = ctx.servedModelName
  if (model === base || model.toLowerCase() === base.toLowerCase()) {
    // base model
  } else if (model.toLowerCase().startsWith(`${base.toLowerCase()}:`) && model.length > base.length + 1) {
    adapter = model.slice(base.length + 1)
  } else {
    throw new HttpError(404, `Expected model to be "${base}" or "${base}:<adapter>", got "${model}"`, 'invalid_request_error', 'model', 'model_not_found')
  }
  if (body.lora !== undefined && body.lora !== null) {
    if (typeof body.lora !== 'string' || body.lora === '') throw badField('lora', 'a non-empty adapter name', body.lora)
    adapter = body.lora
  }

  const stream = optional(body, 'stream', 'a boolean', (v): v is boolean => typeof v === 'boolean') ?? false
  let includeUsage = false
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!isObject(body.stream_options)) throw badField('stream_options', 'an object', body.stream_options)
    const iu = body.stream_options.include_usage
    if (iu !== undefined && typeof iu !== 'boolean') throw badField('stream_options.include_usage', 'a boolean', iu)
    includeUsage = iu === true
  }

  const maxTokensField = body.max_tokens !== undefined ? 'max_tokens' : body.max_completion_tokens !== undefined ? 'max_completion_tokens' : null
  let maxTokens = DEFAULT_MAX_TOKENS
  if (maxTokensField) {
    const v = body[maxTokensField]
    if (v !== null) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw badField(maxTokensField, 'a positive integer', v)
      maxTokens = v
    }
  }
  const ignoreEos = optional(body, 'ignore_eos', 'a boolean', (v): v is boolean => typeof v === 'boolean') ?? false
  const temperature = optional(body, 'temperature', 'a number in [0, 2]', (v): v is number => typeof v === 'number' && v >= 0 && v <= 2) ?? 0
  const topP = optional(body, 'top_p', 'a number in (0, 1]', (v): v is number => typeof v === 'number' && v > 0 && v <= 1) ?? 1
  const seed = optional(body, 'seed', 'an integer', (v): v is number => typeof v === 'number' && Number.isInteger(v)) ?? null
  let stop: string[] = []
  if (body.stop !== undefined && body.stop !== null) {
    if (typeof body.stop === 'string') stop = [body.stop]
    else if (Array.isArray(body.stop) && body.stop.length <= 4 && body.stop.every((s) => typeof s === 'string' && s !== '')) stop = body.stop as string[]
    else throw badField('stop', 'a string or an array of up to 4 non-empty strings', body.stop)
  }

  const hasPrompt = body.prompt !== undefined
  const hasMessages = body.messages !== undefined
  let promptTokens: number[]
  let promptText: string | null
  let promptParam: string
  if (endpoint === 'completions') {
    if (hasMessages) throw badField('messages', 'absent on /v1/completions (send prompt)', '[messages]')
    if (!hasPrompt) throw badField('prompt', 'a string or an array of token ids', undefined)
    promptParam = 'prompt'
    const p = body.prompt
    if (typeof p === 'string') {
      promptText = p
      promptTokens = encodeTemplated(p, ctx.tokenizer, specialTokensFor(ctx.chatTemplate))
    } else if (Array.isArray(p) && p.length === 1 && typeof p[0] === 'string') {
      promptText = p[0]
      promptTokens = encodeTemplated(p[0], ctx.tokenizer, specialTokensFor(ctx.chatTemplate))
    } else if (Array.isArray(p) && p.length > 0 && p.every((t) => typeof t === 'number' && Number.isInteger(t) && t >= 0)) {
      promptText = null
      promptTokens = p as number[]
    } else {
      throw badField('prompt', 'a non-empty string, a one-element string array or an array of token ids', p)
    }
  } else {
    if (hasPrompt) throw badField('prompt', 'absent on /v1/chat/completions (send messages)', '[prompt]')
    if (!Array.isArray(body.messages) || body.messages.length === 0) throw badField('messages', 'a non-empty array', body.messages)
    promptParam = 'messages'
    const messages: ChatMessage[] = body.messages.map((m, i) => toMessage(m, i))
    // The needle offset must be in templated-token space, so keep the templated text.
    promptText = applyChatTemplate(ctx.chatTemplate, messages)
    promptTokens = encodeTemplated(promptText, ctx.tokenizer, specialTokensFor(ctx.chatTemplate))
  }
  if (promptTokens.length === 0) throw badField(promptParam, 'to produce at least one token', body[promptParam])
  checkSize(promptTokens.length, promptParam, ctx)
  let needle: ParsedRequest['needle'] = null
  if (promptText !== null) {
    const m = findNeedle(promptText)
    if (m) needle = { answer: m.answer, tokenOffset: encodeTemplated(promptText.slice(0, m.charOffset), ctx.tokenizer, specialTokensFor(ctx.chatTemplate)).length }
  }
  return { endpoint, stream, includeUsage, model, adapter, promptTokens, maxTokens, ignoreEos, temperature, topP, seed, stop, needle }
}

const checkSize = (count: number, param: string, ctx: ModelContext): void => {
  if (count > ctx.maxInputTokens)
    throw new OversizePromptError(
      400,
      `Expected ${param} to be at most ${ctx.maxInputTokens} tokens (the engine's max input), got ${count} tokens`,
      'invalid_request_error',
      param,
      'context_length_exceeded',
    )
}

const toMessage = (m: unknown, i: number): ChatMessage => {
  if (!isObject(m)) throw badField(`messages[${i}]`, 'an object with role and content', m)
  if (typeof m.role !== 'string' || m.role === '') throw badField(`messages[${i}].role`, 'a non-empty string', m.role)
  const c = m.content
  if (typeof c === 'string') return { role: m.role, content: c }
  if (Array.isArray(c) && c.every((p) => isObject(p) && p.type === 'text' && typeof p.text === 'string'))
    return { role: m.role, content: c.map((p) => (p as { text: string }).text).join('') }
  if (c === null && m.role === 'assistant') return { role: m.role, content: '' }
  throw badField(`messages[${i}].content`, 'a string or an array of text parts', c)
}

function optional<T>(body: Record<string, unknown>, field: string, expected: string, ok: (v: unknown) => v is T): T | undefined {
  const v = body[field]
  if (v === undefined || v === null) return undefined
  if (!ok(v)) throw badField(field, expected, v)
  return v
}
