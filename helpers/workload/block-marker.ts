import { getTokenizer, type TokenizerId } from '../tokenizer/tokenizer'

// Two leading words that name a trace block: words[id mod W] then words[floor(id / W) mod W], each
// one token of the target's vocabulary (" word", lower-case letters). Two blocks with different
// ids therefore differ in their first two tokens (for ids below W² ≈ 16.7 M), so a cache can never
// match one block against another by an accident of the prose that follows; equal ids give equal
// words. " word" tokens pre-tokenize on their own after a letter or punctuation, so the marker's
// two tokens add exactly to the block's count.

const W = 4096
const lists = new Map<TokenizerId, string[]>()

/** W single-token " word" strings of the vocabulary, in token-id order (deterministic per tokenizer). */
export const markerWords = (tokenizer: TokenizerId): string[] => {
  const cached = lists.get(tokenizer)
  if (cached) return cached
  const t = getTokenizer(tokenizer)
  const words: string[] = []
  for (let id = 0; id < t.vocabSize && words.length < W; id++) {
    const s = t.decode([id])
    if (/^ [a-z]{3,10}$/.test(s) && t.encode(s).length === 1 && t.encode(`${s}${s}`).length === 2) words.push(s)
  }
  if (words.length < W) throw new Error(`Expected ${W} single-token words in the ${tokenizer} vocabulary, got ${words.length}`)
  lists.set(tokenizer, words)
  return words
}

/** Marker tokens per block (blocks of fewer than 4 tokens carry none). */
export const markerTokens = (blockTokens: number): number => (blockTokens >= 4 ? 2 : 0)

/** The first `tokens` (0-2) words of block `id`'s marker. */
export const blockMarker = (tokenizer: TokenizerId, id: number, tokens = 2): string => {
  const w = markerWords(tokenizer)
  const n = Math.abs(Math.trunc(id))
  return [w[n % W], w[Math.floor(n / W) % W]].slice(0, tokens).join('')
}
