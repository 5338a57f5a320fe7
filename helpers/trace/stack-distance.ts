import { MOONCAKE_BLOCK_TOKENS, type MooncakeRow } from '../workload/mooncake-trace'

// LRU stack distances of every block access of a trace, in one O(n log n) pass (Bennett & Kruskal:
// a Fenwick tree over access times marks each block's latest access; the distance of a re-access
// is the number of marks after its previous one = distinct blocks touched since). An LRU cache of C
// blocks hits an access exactly when its distance is < C, so one pass gives the hit ratio at every
// cache size at once, instead of one simulation per size.
//
// Prefix caches serve a prompt's leading blocks only: block k is served when blocks 0..k all are.
// `prefix` holds the running maximum of the distances along each row, so "prefix[i] < C" is "served
// from a C-block cache". Rows are processed in file order (the trace is sorted by timestamp).

/** Distance of a block never seen before (a cold miss at any size). */
export const COLD = Number.POSITIVE_INFINITY

export interface StackDistances {
  /** Accesses (blocks over all rows). */
  accesses: number
  /** Raw LRU stack distance of each access; COLD on first touch. */
  distance: Float64Array
  /** Running max of `distance` along the access's row (prefix-cache semantics). */
  prefix: Float64Array
  /** Prompt tokens each access stands for (512, less on a row's partial last block). */
  tokens: Float64Array
  /** How many times the block was accessed before this access (disk offload filters need ≥ 2). */
  priorUses: Uint32Array
  /** Row index of each access. */
  row: Uint32Array
  /** Distinct blocks in the trace. */
  uniqueBlocks: number
  /** Prompt tokens over all rows (input_length sum), incl. tokens past the last hash_id. */
  promptTokens: number
}

class Fenwick {
  private readonly t: Int32Array
  constructor(readonly n: number) {
    this.t = new Int32Array(n + 1)
  }
  add(i: number, v: number): void {
    for (let k = i; k <= this.n; k += k & -k) this.t[k] += v
  }
  /** Sum of positions 1..i. */
  sum(i: number): number {
    let s = 0
    for (let k = i; k > 0; k -= k & -k) s += this.t[k]
    return s
  }
}

export const stackDistances = (rows: readonly MooncakeRow[], blockTokens = MOONCAKE_BLOCK_TOKENS): StackDistances => {
  let n = 0
  for (const r of rows) n += r.hash_ids.length
  const distance = new Float64Array(n)
  const prefix = new Float64Array(n)
  const tokens = new Float64Array(n)
  const priorUses = new Uint32Array(n)
  const row = new Uint32Array(n)
  const last = new Map<number, number>()
  const uses = new Map<number, number>()
  const marks = new Fenwick(n)
  let promptTokens = 0
  let t = 0
  for (let r = 0; r < rows.length; r++) {
    const { hash_ids: ids, input_length: input } = rows[r]
    promptTokens += input
    let runMax = 0
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]
      t++
      const prev = last.get(id)
      let d = COLD
      if (prev !== undefined) {
        d = marks.sum(t - 1) - marks.sum(prev)
        marks.add(prev, -1)
      }
      marks.add(t, 1)
      last.set(id, t)
      const i = t - 1
      distance[i] = d
      runMax = d > runMax ? d : runMax
      prefix[i] = runMax
      tokens[i] = Math.max(0, Math.min(blockTokens, input - k * blockTokens))
      const u = uses.get(id) ?? 0
      priorUses[i] = u
      uses.set(id, u + 1)
      row[i] = r
    }
  }
  return { accesses: n, distance, prefix, tokens, priorUses, row, uniqueBlocks: last.size, promptTokens }
}
