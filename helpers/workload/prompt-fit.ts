import { applyChatTemplate, type ChatTemplateId } from '../tokenizer/chat-template'
import type { TokenizerId } from '../tokenizer/tokenizer'
import { countTemplatedTokens } from './prompt-token-count'
import type { ChatMessage } from './workload-types'

// Sizes a prompt to an exact token count as the serving stack counts it: after the chat template,
// special markers as single ids. The caller renders messages around a filler of K tokens; one
// small render measures the fixed overhead, one full render is verified, and any boundary effect
// is corrected (at most a few rounds, almost always none).

export interface BuiltPrompt {
  messages: ChatMessage[]
  /** The templated string the model reads. */
  text: string
  /** Exact tokens of `text` (special markers count one). */
  tokens: number
}

export interface FitOptions {
  tokenizer: TokenizerId
  template: ChatTemplateId
  /** Exact total wanted. */
  tokens: number
  /** Messages around a filler of `fillTokens` tokens. */
  render: (fillTokens: number) => ChatMessage[]
  /** Names the prompt in errors. */
  label?: string
  /** Count with the assistant header appended (a full prompt) or without (a shared prefix). @default true */
  addGenerationPrompt?: boolean
}

const PROBE = 16
const MAX_ROUNDS = 4

export const countPrompt = (
  tokenizer: TokenizerId,
  template: ChatTemplateId,
  messages: readonly ChatMessage[],
  addGenerationPrompt = true,
): number => countTemplatedTokens(tokenizer, template, applyChatTemplate(template, messages, { addGenerationPrompt }))

/** A prompt whose size is whatever its messages cost (multi-turn histories). */
export const renderPrompt = (tokenizer: TokenizerId, template: ChatTemplateId, messages: ChatMessage[]): BuiltPrompt => {
  const text = applyChatTemplate(template, messages)
  return { messages, text, tokens: countTemplatedTokens(tokenizer, template, text) }
}

export const fitPrompt = (o: FitOptions): BuiltPrompt => {
  const label = o.label ?? 'prompt'
  const addGenerationPrompt = o.addGenerationPrompt ?? true
  const overhead = countPrompt(o.tokenizer, o.template, o.render(PROBE), addGenerationPrompt) - PROBE
  let fill = o.tokens - overhead
  if (fill < 0) throw new Error(`Expected ${label} to be at least ${overhead} tokens (its fixed parts), got a target of ${o.tokens}`)
  let got = -1
  for (let round = 0; round < MAX_ROUNDS && fill >= 0; round++) {
    const messages = o.render(fill)
    const text = applyChatTemplate(o.template, messages, { addGenerationPrompt })
    got = countTemplatedTokens(o.tokenizer, o.template, text)
    if (got === o.tokens) return { messages, text, tokens: got }
    fill += o.tokens - got
  }
  throw new Error(`Expected ${label} to be exactly ${o.tokens} ${o.tokenizer} tokens after the ${o.template} template, got ${got}`)
}
