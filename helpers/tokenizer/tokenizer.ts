import { createRequire } from 'node:module'
import llama3Tokenizer from 'llama3-tokenizer-js'
import { z } from 'zod'

// Real vocabularies, so prompt sizes match what the serving stack counts: Llama-3 BPE for the
// Llama profiles, o200k (harmony) for gpt-oss.
export const TokenizerId = z.enum(['llama3', 'o200k'])
export type TokenizerId = z.infer<typeof TokenizerId>

export interface Tokenizer {
  readonly id: TokenizerId
  /** Token ids of plain text, without BOS/EOS. */
  encode(text: string): number[]
  decode(ids: number[]): string
  count(text: string): number
  /** Token ids for a special marker such as `<|begin_of_text|>`; undefined when the vocabulary has none. */
  special(name: string): number | undefined
  readonly vocabSize: number
}

const llama3: Tokenizer = {
  id: 'llama3',
  encode: (text) => llama3Tokenizer.encode(text, { bos: false, eos: false }),
  decode: (ids) => llama3Tokenizer.decode(ids),
  count: (text) => llama3Tokenizer.encode(text, { bos: false, eos: false }).length,
  special: (name) => llama3Tokenizer.getSpecialTokenId(name),
  vocabSize: 128000,
}

// o200k's tables take about a second to load: only processes that serve gpt-oss pay for them.
type O200k = typeof import('gpt-tokenizer/encoding/o200k_base')
let o200kModule: O200k | null = null
const o200kLib = (): O200k => (o200kModule ??= createRequire(import.meta.url)('gpt-tokenizer/cjs/encoding/o200k_base') as O200k)

const o200k: Tokenizer = {
  id: 'o200k',
  encode: (text) => o200kLib().encode(text, { allowedSpecial: new Set() }),
  decode: (ids) => o200kLib().decode(ids),
  count: (text) => o200kLib().encode(text, { allowedSpecial: new Set() }).length,
  special: () => undefined,
  vocabSize: 199998,
}

export const getTokenizer = (id: TokenizerId): Tokenizer => (id === 'llama3' ? llama3 : o200k)
