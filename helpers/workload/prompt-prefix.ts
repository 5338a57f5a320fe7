import type { ChatTemplateId } from '../tokenizer/chat-template'
import { applyChatTemplate } from '../tokenizer/chat-template'
import type { TokenizerId } from '../tokenizer/tokenizer'
import { fillerText } from './prompt-filler'
import { fitPrompt } from './prompt-fit'
import { nonceText } from './prompt-nonce'
import type { ChatMessage } from './workload-types'

// A system message of an exact size as it appears at the head of every prompt that uses it (the
// templated block, BOS included for Llama-3). Shared prefixes, session prefixes and agent
// instructions are built with it, so "a 3072-token prefix" means 3072 reusable tokens.

export interface SystemPrefix {
  message: ChatMessage
  /** Templated text of the block; every prompt starting with this message starts with it. */
  text: string
  tokens: number
}

export const buildSystemPrefix = (o: {
  tokenizer: TokenizerId
  template: ChatTemplateId
  tokens: number
  key: string | number
  /** Leading text, e.g. "Project handbook:" (must not end in whitespace). */
  heading: string
  nonce?: string | number | null
}): SystemPrefix => {
  const lead = o.nonce === null || o.nonce === undefined ? o.heading : `${nonceText(o.tokenizer, o.nonce)} ${o.heading}`
  const built = fitPrompt({
    tokenizer: o.tokenizer,
    template: o.template,
    tokens: o.tokens,
    addGenerationPrompt: false,
    label: `system prefix ${o.key}`,
    render: (fill) => [{ role: 'system', content: `${lead}${fillerText(o.tokenizer, fill, o.key)}` }],
  })
  const message = built.messages[0]
  return { message, text: applyChatTemplate(o.template, [message], { addGenerationPrompt: false }), tokens: built.tokens }
}
