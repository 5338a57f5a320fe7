import type { TokenizerId } from '../tokenizer/tokenizer'
import { getPromptCorpus } from './prompt-corpus'
import { currentNonceScope } from './nonce-scope'
import { createRng, seedFrom } from './seeded-random'

// A per-user cache buster placed at the very start of a prompt: a fixed label plus single-token
// words picked by the key, so every nonce costs the same tokens and prompt sizes stay exact while
// no two users share a reusable prefix block.

export const NONCE_WORDS = 4
/** Fixed text before the nonce words: shared by every nonced prompt, so reusable by design. */
export const NONCE_LABEL = 'Request tag:'

/** `Request tag: <w1> <w2> <w3> <w4>.` — the same token count for every key. */
export const nonceText = (tokenizer: TokenizerId, key: string | number): string => {
  const words = getPromptCorpus(tokenizer).singleTokenWords
  // Scoped per run/phase/step/repetition by the suite runtime (nonce-scope.ts).
  const scope = currentNonceScope()
  const rng = createRng(scope === null ? seedFrom('nonce', key) : seedFrom('nonce', scope, key))
  let s = NONCE_LABEL
  for (let i = 0; i < NONCE_WORDS; i++) s += ` ${rng.pick(words)}`
  return `${s}.`
}
