import { describe, expect, test } from 'vitest'
import { analyzeTrace } from '../../../helpers/trace/trace-whatif'
import { stackDistances } from '../../../helpers/trace/stack-distance'
import { syntheticTrace } from '../../../helpers/trace/synthetic-trace'
import type { MooncakeRow } from '../../../helpers/workload/mooncake-trace'

// Reference: a literal LRU of C blocks, request by request, serving each row's leading blocks while
// they are cached (what the one-pass stack-distance curve must reproduce at every size).
const simulateLru = (rows: readonly MooncakeRow[], capacity: number) => {
  const lru = new Map<number, true>()
  let hits = 0
  let tokens = 0
  for (const r of rows) {
    let served = true
    r.hash_ids.forEach((id, k) => {
      const hit = lru.has(id)
      if (served && hit) {
        hits++
        tokens += Math.max(0, Math.min(512, r.input_length - 512 * k))
      } else served = false
      lru.delete(id)
      lru.set(id, true)
      if (lru.size > capacity) lru.delete(lru.keys().next().value!)
    })
  }
  return { hits, tokens }
}

const row = (ts: number, ids: number[], input = ids.length * 512): MooncakeRow => ({ timestamp: ts, input_length: input, output_length: 8, hash_ids: ids })

describe('trace what-if analysis', () => {
  test('stack distances count the distinct blocks touched since the previous access', () => {
    const sd = stackDistances([row(0, [1, 2, 3]), row(1, [1, 2, 4]), row(2, [3])])
    expect([...sd.distance]).toEqual([Infinity, Infinity, Infinity, 2, 2, Infinity, 3])
    expect([...sd.prefix]).toEqual([Infinity, Infinity, Infinity, 2, 2, Infinity, 3])
    expect([...sd.priorUses]).toEqual([0, 0, 0, 1, 1, 0, 1])
    expect(sd.uniqueBlocks).toBe(4)
  })

  test('the one-pass LRU curve equals a literal LRU simulation at every cache size', () => {
    const rows = syntheticTrace({ rows: 400, seed: 3, prefixes: 12, maxBlocks: 20 })
    const a = analyzeTrace(rows)
    const accesses = rows.reduce((s, r) => s + r.hash_ids.length, 0)
    const tokens = rows.reduce((s, r) => s + r.input_length, 0)
    for (const c of [1, 3, 10, 37, 100, 333, 1000, 5000]) {
      const sim = simulateLru(rows, c)
      const got = a.hitAt(c)
      expect(got.block_hit_ratio).toBeCloseTo(sim.hits / accesses, 10)
      expect(got.token_hit_ratio).toBeCloseTo(sim.tokens / tokens, 10)
      // One tier of C blocks predicts the same tokens as the curve.
      expect(a.predict({ device_tokens: c * 512, host_tokens: null, disk_tokens: null }).cached_tokens).toBeCloseTo(sim.tokens, 6)
    }
    expect(a.whatIf.ideal_block_hit_ratio).toBeCloseTo(simulateLru(rows, 1e9).hits / accesses, 10)
    expect(a.hitAt(a.whatIf.blocks_for_ideal).block_hit_ratio).toBeCloseTo(a.whatIf.ideal_block_hit_ratio, 12)
    expect(a.hitAt(a.whatIf.blocks_for_ideal - 1).block_hit_ratio).toBeLessThan(a.whatIf.ideal_block_hit_ratio)
  })

  test('the curve rises monotonically to the infinite-cache ratio and the reuse buckets add up', () => {
    const a = analyzeTrace(syntheticTrace({ rows: 300, seed: 9 }))
    const ys = a.whatIf.curve.map((p) => p.block_hit_ratio)
    for (let i = 1; i < ys.length; i++) expect(ys[i]).toBeGreaterThanOrEqual(ys[i - 1])
    expect(ys[ys.length - 1]).toBeCloseTo(a.whatIf.ideal_block_hit_ratio, 12)
    expect(a.whatIf.ideal_block_hit_ratio).toBeGreaterThan(0.2)
    const reused = a.whatIf.reuse.reduce((s, b) => s + b.accesses, 0)
    expect(reused + a.whatIf.cold_accesses).toBe(a.whatIf.accesses)
  })

  test('tier predictions split hits by the fastest tier that holds them, scaled to target tokens', () => {
    const rows = [row(0, [1, 2, 3]), row(1000, [1, 2]), row(2000, [1, 2])]
    const a = analyzeTrace(rows, { lengthScale: 0.5, kvBytesPerToken: 100 })
    // Row 1 re-reads at distance 2, row 2 at distance 1.
    expect([...stackDistances(rows).distance]).toEqual([Infinity, Infinity, Infinity, 2, 2, 1, 1])
    // 1 trace block = 256 target tokens. Device 1 block, host 2 blocks, disk 8 blocks.
    const p = a.predict({ device_tokens: 256, host_tokens: 512, disk_tokens: 2048 })
    expect(p.device_hit_tokens).toBe(0)
    expect(p.host_hit_tokens).toBe(2 * 256)
    expect(p.disk_hit_tokens).toBe(2 * 256)
    expect(p.disk_read_bytes).toBe(512 * 100)
    expect(p.disk_read_bytes_per_s).toBe((512 * 100) / 2)
    // KVBM's disk filter: a block needs 2 prior uses before disk holds it; row 1's blocks have 1
    // (a miss), row 2's have 2 (disk, as the host tier is now only the device's size).
    const filtered = a.predict({ device_tokens: 256, host_tokens: 256, disk_tokens: 2048, disk_min_prior_uses: 2 })
    expect(filtered.disk_hit_tokens).toBe(2 * 256)
    expect(filtered.cached_tokens).toBe(2 * 256)
  })

  test('an empty trace gives zero ratios and no reuse instead of NaN', () => {
    const a = analyzeTrace([])
    expect(a.whatIf.ideal_block_hit_ratio).toBe(0)
    expect(a.whatIf.duration_s).toBeNull()
    expect(a.whatIf.reuse).toEqual([])
  })
})
