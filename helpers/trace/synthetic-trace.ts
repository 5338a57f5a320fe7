import { createRng } from '../workload/seeded-random'
import { MOONCAKE_BLOCK_TOKENS, type MooncakeRow } from '../workload/mooncake-trace'

// A Mooncake-format trace with a block structure unlike the conversation trace: a few long shared
// documents (system prompts / RAG corpora) each followed by multi-turn sessions whose history grows
// turn by turn, plus one-off long prompts. Used by tests and to check trace-analyze's speed.

export interface SyntheticTraceOptions {
  rows: number
  seed?: number
  /** Shared leading documents. @default 8 */
  prefixes?: number
  /** Blocks of each shared document. @default 16 */
  prefixBlocks?: number
  /** Most blocks of one row (long inputs). @default 64 */
  maxBlocks?: number
  /** Share of rows that are one-off prompts sharing nothing. @default 0.15 */
  oneOffShare?: number
  /** Mean gap between rows, ms. @default 250 */
  meanGapMs?: number
  /** Output tokens per row. @default 64 */
  outputTokens?: number
}

export const syntheticTrace = (o: SyntheticTraceOptions): MooncakeRow[] => {
  const rng = createRng(o.seed ?? 1).next
  const prefixes = o.prefixes ?? 8
  const prefixBlocks = o.prefixBlocks ?? 16
  const maxBlocks = Math.max(prefixBlocks + 2, o.maxBlocks ?? 64)
  const oneOff = o.oneOffShare ?? 0.15
  const gap = o.meanGapMs ?? 250
  let nextId = 0
  const docs = Array.from({ length: prefixes }, () => Array.from({ length: prefixBlocks }, () => nextId++))
  // Live sessions: their ids so far; a new turn appends 1-4 blocks and drops when too long.
  const sessions: number[][] = []
  const rows: MooncakeRow[] = []
  let t = 0
  for (let i = 0; i < o.rows; i++) {
    t += Math.round(-Math.log(1 - rng()) * gap)
    let ids: number[]
    if (rng() < oneOff) {
      ids = Array.from({ length: 1 + Math.floor(rng() * maxBlocks) }, () => nextId++)
    } else if (sessions.length > 0 && rng() < 0.7) {
      const k = Math.floor(rng() * sessions.length)
      const s = sessions[k]
      for (let add = 1 + Math.floor(rng() * 4); add > 0; add--) s.push(nextId++)
      ids = [...s]
      if (s.length >= maxBlocks) sessions.splice(k, 1)
    } else {
      const doc = docs[Math.floor(rng() * docs.length)]
      ids = [...doc, ...Array.from({ length: 1 + Math.floor(rng() * 3) }, () => nextId++)]
      sessions.push([...ids])
      if (sessions.length > 64) sessions.shift()
    }
    // The last block is partial, as in real traces.
    const input = (ids.length - 1) * MOONCAKE_BLOCK_TOKENS + 1 + Math.floor(rng() * MOONCAKE_BLOCK_TOKENS)
    rows.push({ timestamp: t, input_length: input, output_length: o.outputTokens ?? 64, hash_ids: ids })
  }
  return rows
}

export const mooncakeJsonl = (rows: readonly MooncakeRow[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '')
