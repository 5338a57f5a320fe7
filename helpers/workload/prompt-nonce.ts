import type { TokenizerId } from '../tokenizer/tokenizer'
import { getPromptCorpus } from './prompt-corpus'
import { createRng, seedFrom } from './seeded-random'

// A per-user cache buster placed at the very start of a prompt: a fixed label plus single-token
// words picked by the key, so every nonce costs the same tokens and prompt sizes stay exact while
// no two users share a reusable prefix block.

export const NONCE_WORDS = 4

/** `Request tag: <w1> <w2> <w3> <w4>.` — the same token count for every key. */
export const nonceText = (tokenizer: TokenizerId, key: string | number): string => {
  const words = getPromptCorpus(tokenizer).singleTokenWords
  const rng = createRng(seedFrom('nonce', key))
  let s = 'Request tag:'
  for (let i = 0; i < NONCE_WORDS; i++) s += ` ${rng.pick(words)}`
  return `${s}.`
}
