import { MOONCAKE_BLOCK_TOKENS, type MooncakeRow } from '../workload/mooncake-trace'

// The rows a replay really sends: each row's replayed length (input x lengthScale) is checked
// against the target's context limit before any server starts; rows over it are skipped or
// clipped (whole 512-token blocks kept, the hash_ids past the cut dropped), and both are counted,
// so the what-if analysis describes exactly the traffic that is sent.

export interface PrepareTraceOptions {
  lengthScale: number
  outputScale: number
  /** Largest replayed prompt (target tokens) for a row with this many output tokens. */
  ceiling: (outputTokens: number) => number
  oversize: 'skip' | 'clip'
  blockTokens?: number
}

export interface PreparedTrace {
  rows: MooncakeRow[]
  /** Rows in the file (after first_n). */
  total: number
  skipped: number
  clipped: number
  /** 0-based row indexes (file order) that were over the limit, first 20. */
  oversizeExamples: number[]
  /** Largest replayed input seen and the limit it met (for the message). */
  largestInput: number
  ceilingAtLargest: number
}

export const prepareTraceRows = (rows: readonly MooncakeRow[], o: PrepareTraceOptions): PreparedTrace => {
  const block = o.blockTokens ?? MOONCAKE_BLOCK_TOKENS
  const out: MooncakeRow[] = []
  let skipped = 0
  let clipped = 0
  let largestInput = 0
  let ceilingAtLargest = 0
  const oversizeExamples: number[] = []
  rows.forEach((r, i) => {
    const output = Math.max(1, Math.round(r.output_length * o.outputScale))
    const input = Math.max(24, Math.round(r.input_length * o.lengthScale))
    const ceiling = o.ceiling(output)
    if (input > largestInput) {
      largestInput = input
      ceilingAtLargest = ceiling
    }
    if (input <= ceiling) {
      out.push(r)
      return
    }
    if (oversizeExamples.length < 20) oversizeExamples.push(i)
    // A clip must keep at least one block and the 24-token floor of a prompt.
    const traceTokens = Math.floor(ceiling / o.lengthScale)
    if (o.oversize === 'skip' || ceiling < 24 || traceTokens < 1) {
      skipped++
      return
    }
    clipped++
    out.push({ ...r, input_length: traceTokens, hash_ids: r.hash_ids.slice(0, Math.max(1, Math.ceil(traceTokens / block))) })
  })
  return { rows: out, total: rows.length, skipped, clipped, oversizeExamples, largestInput, ceilingAtLargest }
}
