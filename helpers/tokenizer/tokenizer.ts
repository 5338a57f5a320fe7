import llama3Tokenizer from 'llama3-tokenizer-js'
import { decode as o200kDecode, encode as o200kEncode } from 'gpt-tokenizer/encoding/o200k_base'
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

const o200k: Tokenizer = {
  id: 'o200k',
  encode: (text) => o200kEncode(text, { allowedSpecial: new Set() }),
  decode: (ids) => o200kDecode(ids),
  count: (text) => o200kEncode(text, { allowedSpecial: new Set() }).length,
  special: () => undefined,
  vocabSize: 199998,
}

export const getTokenizer = (id: TokenizerId): Tokenizer => (id === 'llama3' ? llama3 : o200k)
