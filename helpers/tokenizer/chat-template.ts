import { z } from 'zod'
import type { Tokenizer } from './tokenizer'

// Chat requests reach the model as one templated string; the serving stack counts its tokens with
// the special markers as single ids. Reproducing that exactly is what makes prompt sizes (and so
// KV block counts) agree between the harness, kvsim and a real Dynamo frontend.

export const ChatTemplateId = z.enum(['llama3', 'harmony'])
export type ChatTemplateId = z.infer<typeof ChatTemplateId>

export const ChatMessage = z.object({
  role: z.string().min(1),
  content: z.string(),
})
export type ChatMessage = z.infer<typeof ChatMessage>

export interface ChatTemplateOptions {
  /** Append the assistant header so the model answers next. @default true */
  addGenerationPrompt?: boolean
}

/** Llama-3 special markers and their ids in the Llama-3 vocabulary. */
export const LLAMA3_SPECIAL_TOKENS: Readonly<Record<string, number>> = {
  '<|begin_of_text|>': 128000,
  '<|end_of_text|>': 128001,
  '<|start_header_id|>': 128006,
  '<|end_header_id|>': 128007,
  '<|eom_id|>': 128008,
  '<|eot_id|>': 128009,
  '<|python_tag|>': 128010,
}

/** Harmony (gpt-oss, o200k_harmony) special markers and their ids. */
export const HARMONY_SPECIAL_TOKENS: Readonly<Record<string, number>> = {
  '<|startoftext|>': 199998,
  '<|endoftext|>': 199999,
  '<|return|>': 200002,
  '<|constrain|>': 200003,
  '<|channel|>': 200005,
  '<|start|>': 200006,
  '<|end|>': 200007,
  '<|message|>': 200008,
  '<|call|>': 200012,
}

export const specialTokensFor = (template: ChatTemplateId): Readonly<Record<string, number>> =>
  template === 'llama3' ? LLAMA3_SPECIAL_TOKENS : HARMONY_SPECIAL_TOKENS

/** The template a tokenizer's models use (Llama-3 BPE → llama3, o200k → harmony). */
export const chatTemplateForTokenizer = (tokenizer: Tokenizer): ChatTemplateId =>
  tokenizer.id === 'llama3' ? 'llama3' : 'harmony'

/**
 * Renders messages the way the model's chat template does. Llama-3 trims each content like the
 * Hugging Face template (`message['content'] | trim`); harmony keeps content verbatim.
 */
export const applyChatTemplate = (
  template: ChatTemplateId,
  messages: readonly ChatMessage[],
  opts: ChatTemplateOptions = {},
): string => {
  const addGenerationPrompt = opts.addGenerationPrompt ?? true
  const parts: string[] = []
  if (template === 'llama3') {
    parts.push('<|begin_of_text|>')
    for (const m of messages)
      parts.push(`<|start_header_id|>${m.role}<|end_header_id|>\n\n${m.content.trim()}<|eot_id|>`)
    if (addGenerationPrompt) parts.push('<|start_header_id|>assistant<|end_header_id|>\n\n')
  } else {
    for (const m of messages) parts.push(`<|start|>${m.role}<|message|>${m.content}<|end|>`)
    if (addGenerationPrompt) parts.push('<|start|>assistant')
  }
  return parts.join('')
}

const splitterCache = new Map<Readonly<Record<string, number>>, RegExp>()
const splitterFor = (specials: Readonly<Record<string, number>>): RegExp => {
  let re = splitterCache.get(specials)
  if (!re) {
    const alternatives = Object.keys(specials).map((s) => s.replace(/[|<>]/g, (c) => `\\${c}`))
    re = new RegExp(`(${alternatives.join('|')})`, 'g')
    splitterCache.set(specials, re)
  }
  return re
}

/**
 * Token ids of a templated string: the special markers become their single ids and the text
 * between them is encoded on its own, as a real server does with special tokens allowed.
 */
export const encodeTemplated = (
  text: string,
  tokenizer: Tokenizer,
  specials: Readonly<Record<string, number>> = specialTokensFor(chatTemplateForTokenizer(tokenizer)),
): number[] => {
  const ids: number[] = []
  for (const piece of text.split(splitterFor(specials))) {
    if (piece === '') continue
    const special = specials[piece]
    if (special !== undefined) ids.push(special)
    else for (const id of tokenizer.encode(piece)) ids.push(id)
  }
  return ids
}

/** Token ids of a chat request after the template. */
export const tokenizeChat = (
  template: ChatTemplateId,
  messages: readonly ChatMessage[],
  tokenizer: Tokenizer,
  opts: ChatTemplateOptions = {},
): number[] => encodeTemplated(applyChatTemplate(template, messages, opts), tokenizer, specialTokensFor(template))

/** Prompt tokens a chat request costs, special markers counted as one token each. */
export const countChatTokens = (
  template: ChatTemplateId,
  messages: readonly ChatMessage[],
  tokenizer: Tokenizer,
  opts: ChatTemplateOptions = {},
): number => tokenizeChat(template, messages, tokenizer, opts).length
