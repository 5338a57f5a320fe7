import { getTokenizer, type Tokenizer, type TokenizerId } from '../tokenizer/tokenizer'
import { encodeLlama3Cached } from './prompt-token-count'
import { createRng } from './seeded-random'

// A long synthetic corpus of section/bullet prose, tokenized once per tokenizer and cached with the
// character offset of every token. Prompts are cut from it at token boundaries, so building a
// 128k-token prompt is a string slice plus one verifying encode, not a search.
//
// Every cut point sits before a " word" token that follows a letter: BPE never merges across such a
// boundary, so slices concatenate with exactly additive token counts (the verify step proves it).

const WORDS = (
  'the a of and to in is that for on with as by at from this be are was it an or which can when each ' +
  'cache block blocks token tokens memory disk host device tier tiers layer layers key value request requests ' +
  'prefix session sessions user users model models server servers queue batch latency time first last ' +
  'read write reads writes data file files page pages system load test tests run runs result results ' +
  'phase phases mode modes value values size sizes number count rate state table index record records ' +
  'work worker workers process engine stack storage drive flash write path paths policy limit limits ' +
  'long short new old large small high low fast slow full empty warm cold hot same other more less ' +
  'must should will may could would does not only also then than there where because after before ' +
  'during while under over into through between about against without within across per every some ' +
  'team project code review note notes plan plans report reports change changes issue issues fix build ' +
  'check checks rule rules style guide module modules function functions type types error errors case ' +
  'cases list lists field fields name names line lines part parts step steps point points set sets ' +
  'keep keeps make makes use uses used show shows find finds need needs give gives take takes hold ' +
  'holds move moves start starts stop stops return returns call calls send sends wait waits open close ' +
  'real clear simple direct main core local remote shared single double total free busy ready stable ' +
  'window context answer question document documents summary section sections chapter topic topics'
).split(' ')

const STARTERS = 'The This Each When Every Some Most Our Any All'.split(' ')
const TITLES = 'Cache Memory Storage Latency Tokens Blocks Sessions Policy Queue Layers Review Design Notes Limits Tiers Model Server Build Tests Plan'.split(' ')

/** Tokens every corpus holds; the longest prompt (128k) plus seed offsets fit without wrapping much. */
const CORPUS_TOKENS = 160_000

export interface PromptCorpus {
  readonly tokenizer: TokenizerId
  readonly text: string
  readonly ids: Int32Array
  /** offsets[i] = character offset of token i; offsets[ids.length] = text.length. */
  readonly offsets: Int32Array
  /** cut[i] = 1 when a slice may start or end before token i (cyclic: cut[0] refers to the wrap). */
  readonly cut: Uint8Array
  /** Token ids that are single " word" tokens: nonces and code words are built from them. */
  readonly singleTokenWords: readonly string[]
}

const singleTokenWordsFor = (tok: Tokenizer, words: readonly string[]) =>
  [...new Set(words)].filter((w) => tok.encode(` ${w}`).length === 1)

const buildCorpusText = (words: readonly string[], starters: readonly string[], titles: readonly string[], targetChars: number) => {
  const rng = createRng(0x5eed)
  const sentence = () => {
    const n = rng.int(8, 20)
    let s = ` ${rng.pick(starters)}`
    for (let i = 1; i < n; i++) s += ` ${rng.pick(words)}`
    return s
  }
  // Starts and ends with a " word" so the corpus can wrap around without a dirty boundary.
  let text = `${sentence()}.`
  let section = 1
  while (text.length < targetChars) {
    text += `\n\n## Section ${section++}: ${rng.pick(titles)} ${rng.pick(titles)}\n`
    text += `${sentence()}.${sentence()}.`
    const bullets = rng.int(3, 7)
    for (let b = 0; b < bullets; b++) text += `\n-${sentence()}.`
    text += `\n${sentence()}.${sentence()}`
    text += rng.int(0, 1) ? ',' : '.'
  }
  return `${text}${sentence()}`
}

const corpora = new Map<TokenizerId, PromptCorpus>()

export const getPromptCorpus = (tokenizerId: TokenizerId): PromptCorpus => {
  const cached = corpora.get(tokenizerId)
  if (cached) return cached
  const tok = getTokenizer(tokenizerId)
  const words = singleTokenWordsFor(tok, WORDS)
  const starters = singleTokenWordsFor(tok, STARTERS)
  const titles = singleTokenWordsFor(tok, TITLES)
  // ~4.6 characters per token for this prose in both vocabularies; a little slack, then trim.
  const text = buildCorpusText(words, starters, titles, Math.ceil(CORPUS_TOKENS * 5.2))
  const idList = tokenizerId === 'llama3' ? encodeLlama3Cached(text) : tok.encode(text)
  const ids = Int32Array.from(idList)
  const offsets = new Int32Array(ids.length + 1)
  const pieceCache = new Map<number, string>()
  const isWord = new Uint8Array(ids.length)
  const endsLetter = new Uint8Array(ids.length)
  let pos = 0
  for (let i = 0; i < ids.length; i++) {
    offsets[i] = pos
    let piece = pieceCache.get(ids[i])
    if (piece === undefined) {
      piece = tok.decode([ids[i]])
      pieceCache.set(ids[i], piece)
    }
    isWord[i] = /^ [A-Za-z]+$/.test(piece) ? 1 : 0
    endsLetter[i] = /[A-Za-z]$/.test(piece) ? 1 : 0
    pos += piece.length
  }
  offsets[ids.length] = pos
  // The corpus is ASCII, so per-token pieces must tile the text exactly.
  if (pos !== text.length || text.slice(offsets[ids.length - 1]) !== pieceCache.get(ids[ids.length - 1]))
    throw new Error(`Expected ${tokenizerId} token pieces to tile the corpus (${text.length} chars), got ${pos}`)
  const cut = new Uint8Array(ids.length)
  for (let i = 0; i < ids.length; i++) cut[i] = isWord[i] && endsLetter[(i - 1 + ids.length) % ids.length] ? 1 : 0
  const corpus: PromptCorpus = { tokenizer: tokenizerId, text, ids, offsets, cut, singleTokenWords: words }
  corpora.set(tokenizerId, corpus)
  return corpus
}
