import { blockMarker, markerTokens } from './block-marker'
import { blockText } from './prompt-filler'
import { fitPrompt } from './prompt-fit'
import { nonceText } from './prompt-nonce'
import { countTemplatedTokens } from './prompt-token-count'
import { PromptPreflightError } from './prompt-preflight'
import { buildRequest } from './request-builder'
import { requestId } from './request-stream'
import { seedFrom } from './seeded-random'
import { MOONCAKE_BLOCK_TOKENS, type MooncakeRow, readMooncakeTrace } from './mooncake-trace'
import type { WorkloadContext } from './workload-context'
import type { ChatMessage, RequestStream, WorkItem, Workload } from './workload-types'

// Trace replay: each row becomes a request sent at its timestamp (at_ms; the fixedSchedule
// executor applies its speed factor). Every hash_id expands to the same block of prose, so prefix
// sharing in the trace becomes real token-prefix sharing at the server. Each block opens with a
// two-token marker of its id (block-marker.ts), so blocks with different ids differ from their first
// tokens on and never share a prefix by accident. Lengths can be scaled down for small engines;
// block size scales with them so the sharing structure is kept.

export interface TraceReplayOptions {
  /** @default 'trace_replay' */
  name?: string
  /** JSONL path, or rows already parsed. */
  path?: string
  rows?: readonly MooncakeRow[]
  /** Replay only the first N rows. */
  firstN?: number
  /** Multiplier on input lengths and block size (0.125 turns 512-token blocks into 64). @default 1 */
  lengthScale?: number
  /** Multiplier on output lengths. @default lengthScale */
  outputScale?: number
  /** Tokens per hash_id in the trace. @default 512 */
  blockTokens?: number
  /** What to do with rows over the preflight ceiling. @default 'error' */
  oversize?: 'error' | 'skip'
  /**
   * Build every prompt when the workload is created instead of one after each send: rows sharing a
   * timestamp are then not sent late by the build time of the ones before them. Small traces only
   * (every prompt is held in memory). @default false
   */
  prebuild?: boolean
  /**
   * One nonce (scoped by the suite runtime to the phase) opens every prompt, and each request
   * declares the cached tokens it may legitimately get (reusable_tokens_max): the fixed head plus
   * the blocks it shares, by equal leading hash_ids, with a row sent before it in this replay.
   * Reuse within the replay is the point; reuse of an earlier phase's prompts is contamination.
   * @default false
   */
  scoped?: boolean
}

/**
 * Prefix tree of every row's hash_ids, counting the rows through each node: the leading run a row
 * shares with at least one other row of the replay. Any other row, not only an earlier one: rows
 * sent close together are prefilled in any order (llama.cpp served row 0 from row 1's first block).
 */
const sharedLeadingIds = (rows: readonly { hash_ids: readonly number[] }[]): number[] => {
  type Node = { rows: number; next: Map<number, Node> }
  const root: Node = { rows: 0, next: new Map() }
  for (const r of rows) {
    let n = root
    for (const id of r.hash_ids) {
      let c = n.next.get(id)
      if (!c) n.next.set(id, (c = { rows: 0, next: new Map() }))
      c.rows++
      n = c
    }
  }
  return rows.map((r) => {
    let n = root
    let k = 0
    for (; k < r.hash_ids.length; k++) {
      const c = n.next.get(r.hash_ids[k])
      if (!c || c.rows < 2) break
      n = c
    }
    return k
  })
}

export interface TraceReplayStream extends RequestStream {
  /** Rows skipped as oversize so far (oversize: 'skip'). */
  skipped(): number
}

export const traceReplay = (ctx: WorkloadContext, o: TraceReplayOptions): Workload & { source: TraceReplayStream } => {
  const name = o.name ?? 'trace_replay'
  const rows = o.rows ?? (o.path ? readMooncakeTrace(o.path, o.firstN) : null)
  if (!rows) throw new Error(`Expected trace rows or a path for ${name}, got neither`)
  const limit = Math.min(rows.length, o.firstN ?? rows.length)
  const scale = o.lengthScale ?? 1
  const outScale = o.outputScale ?? scale
  const block = Math.max(1, Math.round((o.blockTokens ?? MOONCAKE_BLOCK_TOKENS) * scale))
  let i = 0
  let skipped = 0
  const shared = o.scoped ? sharedLeadingIds(rows.slice(0, limit)) : []
  const LOG = 'Conversation log:'

  const build = (index: number) => {
    const row = rows[index]
    const input = Math.max(1, Math.round(row.input_length * scale))
    const ids = [...row.hash_ids]
    // Rows whose hash_ids are short of their length get blocks unique to the row.
    for (let k = ids.length; k * block < input; k++) ids.push(-1 - k)
    const keyOf = (k: number) => (ids[k] >= 0 ? `${ctx.seed}:${name}:h${ids[k]}:${block}` : `${ctx.seed}:${name}:row${index}:x${k}`)
    const marker = markerTokens(block)
    // Exactly `take` tokens of block k; shorter takes are prefixes of the whole block.
    const blockBody = (k: number, take: number) => {
      const m = Math.min(marker, take)
      const id = ids[k] >= 0 ? ids[k] : seedFrom('trace-pad', keyOf(k))
      return blockMarker(ctx.tokenizer, id, m) + blockText(ctx.tokenizer, block - marker, keyOf(k), take - m)
    }
    // The last render is the one fitPrompt returns: its fill is the prompt's block tokens.
    let lastFill = 0
    const head = o.scoped ? `${nonceText(ctx.tokenizer, `${ctx.seed}:${name}`)} ${LOG}` : LOG
    const render = (fill: number): ChatMessage[] => {
      lastFill = fill
      let body = ''
      for (let k = 0, used = 0; used < fill && k < ids.length; k++) {
        const take = Math.min(block, fill - used)
        body += blockBody(k, take)
        used += take
      }
      return [{ role: 'user', content: `${head}${body}` }]
    }
    const prompt = fitPrompt({ tokenizer: ctx.tokenizer, template: ctx.template, tokens: Math.max(input, 24), render, label: `trace row ${index}` })
    const first = blockBody(0, block)
    const cut = prompt.text.indexOf(first)
    let reusableTokensMax: number | null = null
    if (o.scoped) {
      // Every block of this prompt is shared: the whole prompt may be served (template tail included).
      // Otherwise the head and the shared blocks, plus one token: the next block's marker may open with
      // the same word (ids equal mod 4096, block-marker.ts).
      const headEnd = prompt.text.indexOf(head) + head.length
      const n = shared[index]
      reusableTokensMax =
        n * block >= lastFill ? prompt.tokens : Math.min(prompt.tokens, countTemplatedTokens(ctx.tokenizer, ctx.template, prompt.text.slice(0, headEnd)) + n * block + 1)
    }
    const sized = { ...prompt, reusableTokensMax }
    const request = buildRequest(ctx, {
      workload: name,
      requestId: requestId(name, index),
      prompt: sized,
      prefixText: cut >= 0 ? prompt.text.slice(0, cut + first.length) : undefined,
      params: { max_tokens: Math.max(1, Math.round(row.output_length * outScale)) },
    })
    return { request, at_ms: row.timestamp }
  }

  const source: TraceReplayStream = {
    name,
    skipped: () => skipped,
    next: () => {
      while (i < limit) {
        const index = i++
        try {
          return build(index)
        } catch (err) {
          if (o.oversize === 'skip' && err instanceof PromptPreflightError) {
            skipped++
            continue
          }
          throw err
        }
      }
      return null
    },
  }
  if (!o.prebuild) return { kind: 'stream', source }
  const items: WorkItem[] = []
  for (let item = source.next(); item; item = source.next()) items.push(item)
  let k = 0
  return { kind: 'stream', source: { name, skipped: source.skipped, next: () => items[k++] ?? null } }
}
