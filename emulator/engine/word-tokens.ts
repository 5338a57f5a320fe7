import { type Tokenizer, type TokenizerId, getTokenizer } from '../../helpers/tokenizer/tokenizer'

// Ordinary English words that are one token (with their leading space) in the profile's vocabulary,
// so generated text reads like words and token counts match what a client re-tokenizes.
const WORDS = `the of and to in is that for it as was with be by on not he this are or his from at which but have
an they you were her she there one all we their has been if more when will would who so no time people
about out into them only some could these two may first then do any like my now over such our man me even
most made after also did many before must through back years where much your way well down should because
each just those how too little state good very make world still own see men work long get here between both
life being under never day same another know while last might us great old year off come since against go
came right used take three states himself few house use during without again place around however home small
found thought went say part once general high upon school every does got united left number course war until
always away something fact though water less public put think almost hand enough far took head yet government
system better set told nothing night end why called didn find look going knew point toward business side five
large later second light often given order white heard once rather room felt several city early war morning
model memory storage cache block token layer value answer question system engine request latency data
river garden window market story music paper table family friend letter summer winter country history
`.split(/\s+/).filter(Boolean)

const cache = new Map<TokenizerId, { ids: number[]; texts: string[] }>()

/** One-token words of the tokenizer: ids and their decoded text (with the leading space). */
export const wordTokens = (id: TokenizerId): { ids: number[]; texts: string[] } => {
  const hit = cache.get(id)
  if (hit) return hit
  const tok: Tokenizer = getTokenizer(id)
  const ids: number[] = []
  const texts: string[] = []
  const seen = new Set<number>()
  for (const w of WORDS) {
    const enc = tok.encode(` ${w}`)
    if (enc.length !== 1 || seen.has(enc[0])) continue
    seen.add(enc[0])
    ids.push(enc[0])
    texts.push(tok.decode(enc))
  }
  if (ids.length < 64) throw new Error(`Expected at least 64 one-token words for ${id} got ${ids.length}`)
  const out = { ids, texts }
  cache.set(id, out)
  return out
}
