import { createHash } from 'node:crypto'
import { encodeTemplated, specialTokensFor } from '../../../helpers/tokenizer/chat-template'
import { getTokenizer, type TokenizerId } from '../../../helpers/tokenizer/tokenizer'
import type { ClientRequest } from '../../../helpers/workload/workload-types'
import { applyChatTemplate } from '../../../helpers/tokenizer/chat-template'

// Test helper: what a prefix cache sees. Token ids from the real tokenizer, cut into 32-token blocks,
// each block hashed with its parent's hash (vLLM/TRT-LLM style), so equal hashes mean equal prefixes.

export const promptIds = (req: ClientRequest, tokenizer: TokenizerId): number[] => {
  const template = tokenizer === 'llama3' ? 'llama3' : 'harmony'
  const text = req.body.prompt ?? applyChatTemplate(template, req.body.messages ?? [])
  return encodeTemplated(text, getTokenizer(tokenizer), specialTokensFor(template))
}

export const blockChain = (ids: readonly number[], blockTokens = 32): string[] => {
  const out: string[] = []
  let parent = ''
  for (let i = 0; i + blockTokens <= ids.length; i += blockTokens) {
    parent = createHash('sha256').update(parent).update(ids.slice(i, i + blockTokens).join(',')).digest('hex')
    out.push(parent)
  }
  return out
}

/** Number of leading full blocks two prompts share. */
export const sharedBlocks = (a: readonly number[], b: readonly number[], blockTokens = 32): number => {
  const ca = blockChain(a, blockTokens)
  const cb = blockChain(b, blockTokens)
  let n = 0
  while (n < ca.length && n < cb.length && ca[n] === cb[n]) n++
  return n
}
