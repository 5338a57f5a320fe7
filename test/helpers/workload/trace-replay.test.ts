import { describe, expect, test } from 'vitest'
import { BUNDLED_MOONCAKE_TRACE, parseMooncakeTrace, readMooncakeTrace } from '../../../helpers/workload/mooncake-trace'
import { takeAll } from '../../../helpers/workload/request-stream'
import { withNonceScope } from '../../../helpers/workload/nonce-scope'
import { traceReplay } from '../../../helpers/workload/trace-replay'
import { promptIds, sharedBlocks } from './block-chain'

const TRACE = BUNDLED_MOONCAKE_TRACE
const ctx = { model: 'm', tokenizer: 'llama3' as const, template: 'llama3' as const, seed: 1 }

const commonPrefix = (x: number[], y: number[]) => {
  let n = 0
  while (n < x.length && x[n] === y[n]) n++
  return n
}

describe('traceReplay', () => {
  test('a scoped replay declares the cached tokens its shared hash_ids allow, and another scope shares only the head', () => {
    const row = (ids: number[], len: number, ts: number) => ({ timestamp: ts, input_length: len, output_length: 4, hash_ids: ids })
    const rows = [row([1, 2, 3], 1536, 0), row([1, 2, 4], 1536, 1), row([5, 6], 1024, 2), row([1, 2], 1024, 3), row([1, 7, 8], 1400, 4)]
    const replay = (scope: string) => withNonceScope(scope, () => takeAll(traceReplay(ctx, { rows, scoped: true }).source))
    const a = replay('run|suite|B0-replay')
    const ids = a.map((i) => promptIds(i.request, 'llama3'))
    const bounds = a.map((i) => i.request.meta.reusable_tokens_max!)
    // Every prompt's longest common prefix with any other prompt of the replay (sent before or
    // after: prefill order is not send order) is within its bound ...
    for (let k = 0; k < ids.length; k++) {
      const best = Math.max(...ids.filter((_, j) => j !== k).map((p) => commonPrefix(ids[k], p)))
      expect(best, `row ${k}`).toBeLessThanOrEqual(bounds[k])
      // ... and the bound is tight: at most the head's first token (block marker) and the template tail over.
      expect(bounds[k] - best, `row ${k}`).toBeLessThanOrEqual(6)
    }
    // Row 3's blocks all open other rows (1, 2): the whole prompt may be served.
    expect(bounds[3]).toBe(ids[3].length)
    expect(bounds[0] - bounds[2]).toBe(2 * 512)
    expect(bounds[1] - bounds[2]).toBe(2 * 512)
    expect(bounds[4] - bounds[2]).toBe(512)
    // A replay in another scope (the next phase, mode or repetition) shares no more than the head.
    const b = replay('run|suite|B1-replay').map((i) => promptIds(i.request, 'llama3'))
    for (let k = 0; k < b.length; k++) expect(Math.max(...ids.map((p) => commonPrefix(b[k], p)))).toBeLessThanOrEqual(bounds[2])
    // Unscoped replays declare nothing (h5's trace leg).
    expect(takeAll(traceReplay(ctx, { rows }).source)[0].request.meta.reusable_tokens_max).toBeUndefined()
  })

  test('equal hash_ids expand to equal token blocks and a differing id ends the shared prefix', () => {
    const rows = [
      { timestamp: 0, input_length: 1536, output_length: 10, hash_ids: [7, 8, 9] },
      { timestamp: 250, input_length: 1536, output_length: 20, hash_ids: [7, 8, 42] },
      { timestamp: 900, input_length: 1536, output_length: 30, hash_ids: [99, 8, 9] },
    ]
    const items = takeAll(traceReplay(ctx, { rows }).source)
    const ids = items.map((i) => promptIds(i.request, 'llama3'))
    for (const x of ids) expect(x.length).toBe(1536)
    // The template header (~9 tokens) sits before the first block, so block k starts at 9 + 512k.
    const shared01 = sharedBlocks(ids[0], ids[1])
    expect(shared01).toBeGreaterThanOrEqual(Math.floor(1024 / 32))
    expect(shared01).toBeLessThanOrEqual(Math.floor((1024 + 32) / 32))
    expect(sharedBlocks(ids[0], ids[2])).toBe(0)
    expect(items.map((i) => i.at_ms)).toEqual([0, 250, 900])
    expect(items.map((i) => i.request.body.max_tokens)).toEqual([10, 20, 30])
    expect(items[0].request.meta.prefix_hash).toBe(items[1].request.meta.prefix_hash)
  })

  test('blocks with different ids part at their first tokens, so no prefix is shared by accident', () => {
    // Rows that share block 5 and then differ: whatever prose follows, the token streams must part
    // exactly where the ids do (only the first marker token may coincide, for ids equal mod 4096).
    const common = (a: number[], b: number[]) => {
      const row = (ids: number[], ts: number) => ({ timestamp: ts, input_length: 1024, output_length: 4, hash_ids: ids })
      const [x, y] = takeAll(traceReplay(ctx, { rows: [row(a, 0), row(b, 1)] }).source).map((i) => promptIds(i.request, 'llama3'))
      let n = 0
      while (n < x.length && x[n] === y[n]) n++
      return n
    }
    // Rows differing in their first block part right after the template header.
    const header = common([1, 2], [3, 2])
    expect(header).toBeLessThan(16)
    for (const [a, b] of [[6, 7], [6, 4102], [100, 2000], [8, 9]] as const) {
      const n = common([5, a], [5, b])
      expect(n, `${a} vs ${b}`).toBeGreaterThanOrEqual(header + 512)
      expect(n, `${a} vs ${b}`).toBeLessThanOrEqual(header + 512 + (a % 4096 === b % 4096 ? 1 : 0))
    }
  })

  test('the Mooncake conversation trace replays with its timestamps, scaled down for a small engine', () => {
    const rows = readMooncakeTrace(TRACE, 40)
    const items = takeAll(traceReplay({ ...ctx, maxInputTokens: 16384 }, { path: TRACE, firstN: 40, lengthScale: 1 / 16, oversize: 'skip' }).source)
    expect(items.length).toBe(40)
    expect(items.map((i) => i.at_ms)).toEqual(rows.map((r) => r.timestamp))
    for (const [k, item] of items.entries())
      expect(item.request.meta.prompt_tokens_expected).toBe(Math.max(24, Math.round(rows[k].input_length / 16)))
    // Rows starting with hash_id 0 share their first (32-token) block.
    const zero = items.filter((_, k) => rows[k].hash_ids[0] === 0).slice(0, 2).map((i) => promptIds(i.request, 'llama3'))
    expect(sharedBlocks(zero[0], zero[1])).toBeGreaterThanOrEqual(1)
  })

  test('prebuilt replays hold the same requests as lazy ones, skipped rows counted up front', () => {
    const rows = [
      { timestamp: 0, input_length: 600, output_length: 10, hash_ids: [1, 2] },
      { timestamp: 1, input_length: 9000, output_length: 10, hash_ids: Array.from({ length: 18 }, (_, k) => k + 10) },
      { timestamp: 2, input_length: 700, output_length: 10, hash_ids: [1, 3] },
    ]
    const c = { ...ctx, maxInputTokens: 8192 }
    const lazy = takeAll(traceReplay(c, { rows, oversize: 'skip' }).source)
    const pre = traceReplay(c, { rows, oversize: 'skip', prebuild: true })
    expect(pre.source.skipped()).toBe(1)
    expect(takeAll(pre.source).map((i) => i.request.meta.identity_hash)).toEqual(lazy.map((i) => i.request.meta.identity_hash))
    expect(pre.source.next()).toBeNull()
  })

  test('the same seed reproduces the replay and first N limits it', () => {
    const a = takeAll(traceReplay(ctx, { path: TRACE, firstN: 3, lengthScale: 1 / 32 }).source)
    const b = takeAll(traceReplay(ctx, { path: TRACE, firstN: 3, lengthScale: 1 / 32 }).source)
    expect(a).toHaveLength(3)
    expect(b.map((i) => i.request.meta.identity_hash)).toEqual(a.map((i) => i.request.meta.identity_hash))
  })

  test('oversize rows either stop the replay with a preflight error or are skipped and counted', () => {
    const rows = [
      { timestamp: 0, input_length: 600, output_length: 10, hash_ids: [1, 2] },
      { timestamp: 1, input_length: 9000, output_length: 10, hash_ids: Array.from({ length: 18 }, (_, k) => k + 10) },
    ]
    const strict = traceReplay({ ...ctx, maxInputTokens: 8192 }, { rows })
    expect(strict.source.next()).not.toBeNull()
    expect(() => strict.source.next()).toThrow(/Expected request trace_replay-000001 to have at most 7926 prompt tokens/)
    const lenient = traceReplay({ ...ctx, maxInputTokens: 8192 }, { rows, oversize: 'skip' })
    expect(takeAll(lenient.source)).toHaveLength(1)
    expect(lenient.source.skipped()).toBe(1)
  })
})

test('a malformed trace line is reported with its line number', () => {
  expect(() => parseMooncakeTrace('{"timestamp":0,"input_length":1,"output_length":1,"hash_ids":[0]}\n{"timestamp":"x"}\n')).toThrow(/trace line 2/)
})
