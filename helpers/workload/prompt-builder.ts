import type { ChatTemplateId } from '../tokenizer/chat-template'
import type { TokenizerId } from '../tokenizer/tokenizer'
import { fillerText } from './prompt-filler'
import { type BuiltPrompt, fitPrompt } from './prompt-fit'
import { NEEDLE_QUESTION, needleCodeWord, needleSentence } from './prompt-needle'
import { NONCE_LABEL, nonceText } from './prompt-nonce'
import { countTemplatedTokens } from './prompt-token-count'
import type { ChatMessage } from './workload-types'

// One standalone prompt of an exact size: a fixed system message (optionally led by a per-user
// nonce), then a user message of context prose, optionally with a needle planted at a depth, and a
// closing instruction or question.

export const DEFAULT_SYSTEM_PROMPT = 'You are a careful engineering assistant. Answer from the context given.'
export const DEFAULT_INSTRUCTION = 'Summarize the notes above in three sentences.'

export interface PromptRequest {
  tokenizer: TokenizerId
  template: ChatTemplateId
  /** Exact prompt tokens after the template. */
  tokens: number
  /** Picks the context prose: same key, same text. */
  key: string | number
  /** Per-user cache buster at the very start (fixed token cost). null/undefined = none. */
  nonce?: string | number | null
  /** Plant `The secret code word is "X".` at this depth (0 = start of context, 1 = end). */
  needle?: { depth: number; key?: string | number } | null
  system?: string
  instruction?: string
}

export interface PromptResult extends BuiltPrompt {
  /** Templated text shared by every prompt with the same system message (and nonce). */
  prefixText: string
  needleAnswer: string | null
  /**
   * Most prompt tokens a prefix cache may legitimately serve for a nonced prompt: the template head
   * up to the nonce label, plus one nonce word that two nonces may share by chance. null = no bound
   * (the prompt is meant to be reusable).
   */
  reusableTokensMax: number | null
}

export const systemMessage = (tokenizer: TokenizerId, system: string, nonce?: string | number | null): ChatMessage => ({
  role: 'system',
  content: nonce === null || nonce === undefined ? system : `${nonceText(tokenizer, nonce)} ${system}`,
})

export const buildPrompt = (r: PromptRequest): PromptResult => {
  const system = systemMessage(r.tokenizer, r.system ?? DEFAULT_SYSTEM_PROMPT, r.nonce)
  const answer = r.needle ? needleCodeWord(r.needle.key ?? r.key) : null
  const depth = r.needle ? Math.min(1, Math.max(0, r.needle.depth)) : 0
  const closing = answer ? NEEDLE_QUESTION : (r.instruction ?? DEFAULT_INSTRUCTION)
  const render = (fill: number): ChatMessage[] => {
    let context: string
    if (answer) {
      const before = Math.round(fill * depth)
      context = fillerText(r.tokenizer, before, `${r.key}:a`) + needleSentence(answer) + fillerText(r.tokenizer, fill - before, `${r.key}:b`)
    } else context = fillerText(r.tokenizer, fill, r.key)
    return [system, { role: 'user', content: `Context:${context}\n\n${closing}` }]
  }
  const built = fitPrompt({ tokenizer: r.tokenizer, template: r.template, tokens: r.tokens, render, label: `prompt ${r.key}` })
  const label = r.nonce === null || r.nonce === undefined ? -1 : built.text.indexOf(NONCE_LABEL)
  const reusableTokensMax = label < 0 ? null : countTemplatedTokens(r.tokenizer, r.template, built.text.slice(0, label + NONCE_LABEL.length)) + 1
  return { ...built, prefixText: prefixTextOf(r.template, built.text, built.messages), needleAnswer: answer, reusableTokensMax }
}

/** The templated text up to the end of the first message (the system prompt block). */
export const prefixTextOf = (template: ChatTemplateId, text: string, messages: readonly ChatMessage[]): string => {
  const end = template === 'llama3' ? '<|eot_id|>' : '<|end|>'
  const first = text.indexOf(end)
  return messages.length > 0 && first >= 0 ? text.slice(0, first + end.length) : ''
}
