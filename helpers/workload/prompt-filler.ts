import type { TokenizerId } from '../tokenizer/tokenizer'
import { getPromptCorpus, type PromptCorpus } from './prompt-corpus'
import { seedFrom } from './seeded-random'

// Exact-size text cut from the corpus. A slice starts with " word" and ends with a letter, so it can
// follow any fixed text that does not end in whitespace and precede any that starts with a space,
// punctuation or a newline, and its token count adds exactly.

const sliceText = (c: PromptCorpus, start: number, tokens: number): string => {
  const n = c.ids.length
  let out = ''
  let i = start
  let left = tokens
  while (left > 0) {
    const take = Math.min(left, n - i)
    out += c.text.slice(c.offsets[i], c.offsets[i + take])
    left -= take
    i = (i + take) % n
  }
  return out
}

/** First index at or after `from` (cyclic) where a slice of `tokens` tokens is clean at both ends. */
const cleanStart = (c: PromptCorpus, from: number, tokens: number): number => {
  const n = c.ids.length
  for (let k = 0; k < n; k++) {
    const a = (from + k) % n
    if (c.cut[a] && c.cut[(a + tokens) % n]) return a
  }
  throw new Error(`Expected a clean ${tokens}-token slice in the ${c.tokenizer} corpus, got none`)
}

/** Exactly `tokens` tokens of prose, chosen by `key` (same key and size, same text). */
export const fillerText = (tokenizer: TokenizerId, tokens: number, key: string | number): string => {
  if (!Number.isInteger(tokens) || tokens < 0) throw new Error(`Expected a non-negative integer filler size, got ${tokens}`)
  if (tokens === 0) return ''
  const c = getPromptCorpus(tokenizer)
  return sliceText(c, cleanStart(c, seedFrom('filler', key) % c.ids.length, tokens), tokens)
}

/**
 * A block whose shorter versions are prefixes of the full one: `blockText(t, 512, 7, 100)` starts
 * with the same text as `blockText(t, 512, 7, 512)`. Trace replay needs that, because a trace's
 * last block is partial and a hash_id must always mean the same tokens.
 */
export const blockText = (tokenizer: TokenizerId, blockTokens: number, key: string | number, tokens = blockTokens): string => {
  if (tokens > blockTokens) throw new Error(`Expected at most ${blockTokens} tokens of block ${key}, got ${tokens}`)
  if (tokens <= 0) return ''
  const c = getPromptCorpus(tokenizer)
  const n = c.ids.length
  const start = cleanStart(c, seedFrom('block', key) % n, blockTokens)
  if (tokens === blockTokens) return sliceText(c, start, tokens)
  // Largest clean cut inside the partial length, then pad from elsewhere to the exact size.
  let keep = tokens
  while (keep > 0 && !c.cut[(start + keep) % n]) keep--
  return sliceText(c, start, keep) + fillerText(tokenizer, tokens - keep, `pad:${key}:${tokens}`)
}
