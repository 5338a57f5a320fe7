import { type ChatTemplateId, encodeTemplated, specialTokensFor } from '../tokenizer/chat-template'
import { getTokenizer, type TokenizerId } from '../tokenizer/tokenizer'

// Exact token counts of templated prompts, fast. Llama-3 BPE works pretoken by pretoken (the
// tokenizer splits text with the regex below, then encodes each piece on its own, ignore_merges),
// so the count of a text is the sum of its pretokens' counts. Each distinct pretoken is encoded
// once by the real tokenizer and remembered; a 128k-token prompt then costs one regex pass instead
// of ~0.5 s of BPE. o200k's encoder is fast enough to call directly. The unit test holds this
// equal to the real encoder on prose, code, numbers, unicode and whitespace runs.

// llama3-tokenizer-js's pretokenizer (CLEAN_LLAMA3_REGEX_STRING), with (?i:…) expanded for JS.
const LLAMA3_PRETOKEN = /(?:'([sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu

const MAX_CACHE = 500_000
const pretokenCounts = new Map<string, number>()
const pretokenIds = new Map<string, number[]>()

/** Llama-3 token ids of plain text, pretoken by pretoken with memoized BPE (same ids as encode()). */
export const encodeLlama3Cached = (text: string): number[] => {
  const tok = getTokenizer('llama3')
  const out: number[] = []
  let prev = 0
  const add = (piece: string) => {
    let ids = pretokenIds.get(piece)
    if (ids === undefined) {
      ids = tok.encode(piece)
      if (pretokenIds.size >= MAX_CACHE) pretokenIds.clear()
      pretokenIds.set(piece, ids)
    }
    for (const id of ids) out.push(id)
  }
  for (const m of text.matchAll(LLAMA3_PRETOKEN)) {
    if (prev < m.index) add(text.slice(prev, m.index))
    if (m[0].length > 0) add(m[0])
    prev = m.index + m[0].length
  }
  if (prev < text.length) add(text.slice(prev))
  return out
}

const countLlama3Text = (text: string): number => {
  const tok = getTokenizer('llama3')
  let total = 0
  let prev = 0
  const countPiece = (piece: string) => {
    let n = pretokenCounts.get(piece)
    if (n === undefined) {
      n = tok.encode(piece).length
      if (pretokenCounts.size >= MAX_CACHE) pretokenCounts.clear()
      pretokenCounts.set(piece, n)
    }
    total += n
  }
  for (const m of text.matchAll(LLAMA3_PRETOKEN)) {
    if (prev < m.index) countPiece(text.slice(prev, m.index))
    if (m[0].length > 0) countPiece(m[0])
    prev = m.index + m[0].length
  }
  if (prev < text.length) countPiece(text.slice(prev))
  return total
}

const splitters = new Map<ChatTemplateId, RegExp>()
const splitterFor = (template: ChatTemplateId): RegExp => {
  let re = splitters.get(template)
  if (!re) {
    const alts = Object.keys(specialTokensFor(template)).map((s) => s.replace(/[|<>]/g, (c) => `\\${c}`))
    re = new RegExp(`(${alts.join('|')})`)
    splitters.set(template, re)
  }
  return re
}

/** Tokens of plain text (no special markers). */
export const countTextTokens = (tokenizer: TokenizerId, text: string): number =>
  tokenizer === 'llama3' ? countLlama3Text(text) : getTokenizer(tokenizer).count(text)

/** Tokens of a templated prompt: special markers count one each, the text between is encoded alone. */
export const countTemplatedTokens = (tokenizer: TokenizerId, template: ChatTemplateId, text: string): number => {
  if (tokenizer !== 'llama3') return encodeTemplated(text, getTokenizer(tokenizer), specialTokensFor(template)).length
  const specials = specialTokensFor(template)
  let total = 0
  for (const piece of text.split(splitterFor(template))) {
    if (piece === '') continue
    total += specials[piece] !== undefined ? 1 : countLlama3Text(piece)
  }
  return total
}
