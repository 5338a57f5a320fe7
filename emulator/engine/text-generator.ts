import { getTokenizer, type TokenizerId } from '../../helpers/tokenizer/tokenizer'
import { hashBlock, mix32, ROOT_BLOCK_HASH } from './block-hash'
import { wordTokens } from './word-tokens'

// Generated text is a pure function of the KV the model attends to (the content hashes of the
// blocks actually resident or onboarded, plus the recomputed tail), the position and the seed.
// So identical requests at temperature 0 agree across modes, and corrupted KV changes the answer.

const EOS_MIN_TOKENS = 16
/** Per-token EOS probability after EOS_MIN_TOKENS, in 1/1000. */
const EOS_PER_MILLE = 30

export interface GeneratorInput {
  tokenizer: TokenizerId
  /** Content hash of each full prompt block as the engine holds it. */
  blockContents: string[]
  /** Prompt tokens after the last full block (recomputed, so always intact). */
  tailTokens: number[]
  /** Seed already resolved: 0 at temperature 0. */
  seed: number
  /** LoRA adapter the answer is generated with (null = base model). */
  adapter?: string | null
  ignoreEos: boolean
  /** Tokens that must open the answer (the needle's code word when its block is intact). */
  prefixTokens: number[]
}

export interface NextToken {
  id: number
  text: string
}

export class TextGenerator {
  private readonly digest: string
  private readonly words: { ids: number[]; texts: string[] }
  private readonly tokenizer

  constructor(private readonly input: GeneratorInput) {
    let d = ROOT_BLOCK_HASH
    for (const c of input.blockContents) d = hashBlock(d, [mix32(c)], 0, 1)
    if (input.adapter) d = hashBlock(d, [mix32('lora', input.adapter)], 0, 1)
    this.digest = hashBlock(d, input.tailTokens, 0, input.tailTokens.length)
    this.words = wordTokens(input.tokenizer)
    this.tokenizer = getTokenizer(input.tokenizer)
  }

  /** The token at output position `i`, or null when the model emits EOS there. */
  next(i: number): NextToken | null {
    if (i < this.input.prefixTokens.length) {
      const id = this.input.prefixTokens[i]
      return { id, text: this.tokenizer.decode([id]) }
    }
    if (!this.input.ignoreEos && i >= EOS_MIN_TOKENS && mix32(this.digest, i, this.input.seed, 'eos') % 1000 < EOS_PER_MILLE)
      return null
    const k = mix32(this.digest, i, this.input.seed) % this.words.ids.length
    return { id: this.words.ids[k], text: this.words.texts[k] }
  }
}
