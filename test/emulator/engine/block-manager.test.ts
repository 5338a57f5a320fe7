import { describe, expect, it } from 'vitest'
import type { KvModeId } from '../../../helpers/config/kv-mode'
import { blockHashes } from '../../../emulator/engine/block-hash'
import { BlockManager } from '../../../emulator/engine/block-manager'

const TPB = 4

const tokens = (base: number, blocks: number) => Array.from({ length: blocks * TPB }, (_, i) => base + i)

const make = (mode: KvModeId, sizes: { g1: number; g2?: number; g3?: number }, policy: 'lru' | 'lfu' = 'lru') => {
  const writes: { slot: number; content: string }[] = []
  const m = new BlockManager({
    mode,
    tokensPerBlock: TPB,
    g1Blocks: sizes.g1,
    g2Blocks: sizes.g2 ?? 0,
    g3Blocks: sizes.g3 ?? 0,
    evictionPolicy: policy,
    hitRateWindow: 1000,
    writeG3: (slot, content) => writes.push({ slot, content }),
  })
  let n = 0
  /** One request end to end: match, onboard (G3 content = what was written), compute the rest, release. */
  const serve = (hashes: string[]) => {
    const id = `r${++n}`
    const alloc = m.acquire(id, hashes, hashes.length, hashes.length)
    if (!alloc) throw new Error('Expected room in G1 got none')
    const matched = alloc.g1Hits + alloc.g2Hits + alloc.g3Hits
    const onboarded = alloc.contents.slice(alloc.g1Hits).map((c, i) => c ?? hashes[alloc.g1Hits + i])
    m.finishOnboard(id, onboarded)
    for (let i = matched; i < hashes.length; i++) m.register(id, hashes[i], hashes[i], false)
    m.release(id)
    return alloc
  }
  return { m, serve, writes }
}

describe('BlockManager', () => {
  it('shares the blocks of a common prefix between requests', () => {
    const { m } = make('B0', { g1: 16 })
    const shared = tokens(0, 3)
    const a = blockHashes([...shared, ...tokens(100, 2)], TPB)
    const b = blockHashes([...shared, ...tokens(200, 2)], TPB)
    expect(a.slice(0, 3)).toEqual(b.slice(0, 3))
    expect(a[3]).not.toBe(b[3])
    m.acquire('a', a, 5, 5)
    for (const h of a) m.register('a', h, h, false)
    const alloc = m.acquire('b', b, 5, 5)!
    expect(alloc.g1Hits).toBe(3)
    for (const h of b.slice(3)) m.register('b', h, h, false)
    // 5 blocks of a + 2 new blocks of b, not 10.
    expect(m.g1Used).toBe(7)
  })

  it('refuses admission when pinned blocks leave no room and admits once they are released', () => {
    const { m } = make('B0', { g1: 4 })
    const a = blockHashes(tokens(0, 3), TPB)
    expect(m.acquire('a', a, 3, 3)).not.toBeNull()
    const b = blockHashes(tokens(500, 3), TPB)
    expect(m.acquire('b', b, 3, 3)).toBeNull()
    m.release('a')
    expect(m.acquire('b', b, 3, 3)).not.toBeNull()
  })

  it('evicts G1 blocks in LRU order and in LFU order when asked', () => {
    for (const policy of ['lru', 'lfu'] as const) {
      const { m, serve } = make('B0', { g1: 4 }, policy)
      const a = blockHashes(tokens(0, 2), TPB)
      const b = blockHashes(tokens(100, 2), TPB)
      const c = blockHashes(tokens(200, 2), TPB)
      serve(a)
      serve(a)
      serve(a)
      serve(b)
      serve(c)
      // LRU drops a (oldest use); LFU keeps a (3 uses) and drops b.
      expect(m.g1Has(a[0])).toBe(policy === 'lfu')
      expect(m.g1Has(b[0])).toBe(policy === 'lru')
    }
  })

  it('B0 moves no block between tiers and counts nothing', () => {
    const { m, serve, writes } = make('B0', { g1: 4, g2: 8, g3: 8 })
    const a = blockHashes(tokens(0, 4), TPB)
    serve(a)
    serve(blockHashes(tokens(100, 4), TPB))
    serve(a)
    expect(m.counters).toEqual({ offload_blocks_d2h: 0, offload_blocks_h2d: 0, offload_blocks_d2d: 0, onboard_blocks_h2d: 0, onboard_blocks_d2d: 0, matched_tokens: 0 })
    expect(writes).toHaveLength(0)
  })

  it('B1 offloads device→host and onboards host→device only', () => {
    const { m, serve, writes } = make('B1', { g1: 4, g2: 8, g3: 8 })
    const a = blockHashes(tokens(0, 4), TPB)
    serve(a)
    serve(blockHashes(tokens(100, 4), TPB))
    const again = serve(a)
    expect(again.g2Hits).toBe(4)
    expect(m.counters).toEqual({ offload_blocks_d2h: 8, offload_blocks_h2d: 0, offload_blocks_d2d: 0, onboard_blocks_h2d: 4, onboard_blocks_d2d: 0, matched_tokens: 4 * TPB })
    expect(writes).toHaveLength(0)
    expect(m.hitRates.hostHitRate).toBeCloseTo(4 / 12)
  })

  it('B2 (filter on) writes a block to disk only after it was reused, then onboards it disk→device', () => {
    const { m, serve, writes } = make('B2', { g1: 4, g2: 4, g3: 16 })
    const a = blockHashes(tokens(0, 4), TPB)
    serve(a)
    expect(m.counters.offload_blocks_h2d).toBe(0)
    expect(m.frequencyOf(a[0])).toBe(1)
    serve(a)
    expect(m.frequencyOf(a[0])).toBe(2)
    expect(m.counters.offload_blocks_h2d).toBe(4)
    expect(writes.map((w) => w.content)).toEqual(a)
    // b evicts a from G1 and G2; a now comes back from disk.
    serve(blockHashes(tokens(100, 4), TPB))
    const back = serve(a)
    expect(back.g3Hits).toBe(4)
    expect(back.g3Reads.map((r) => r.slot).sort()).toEqual(writes.map((w) => w.slot).sort())
    expect(m.counters.onboard_blocks_d2d).toBe(4)
    expect(m.counters.onboard_blocks_h2d).toBe(0)
    expect(m.counters.matched_tokens).toBe(4 * TPB)
    expect(m.counters.offload_blocks_d2d).toBe(0)
  })

  it('B2p (filter off) writes every block to disk on first touch', () => {
    const { m, serve, writes } = make('B2p', { g1: 4, g2: 4, g3: 16 })
    serve(blockHashes(tokens(0, 4), TPB))
    expect(m.counters.offload_blocks_d2h).toBe(4)
    expect(m.counters.offload_blocks_h2d).toBe(4)
    expect(writes).toHaveLength(4)
    serve(blockHashes(tokens(100, 4), TPB))
    const back = serve(blockHashes(tokens(0, 4), TPB))
    expect(back.g3Hits).toBe(4)
    expect(m.counters.onboard_blocks_d2d).toBe(4)
  })

  it('B3 (disk only) offloads device→disk directly and onboards disk→device', () => {
    const { m, serve, writes } = make('B3', { g1: 4, g2: 8, g3: 16 })
    const a = blockHashes(tokens(0, 4), TPB)
    serve(a)
    expect(m.counters.offload_blocks_d2d).toBe(4)
    expect(m.counters.offload_blocks_d2h).toBe(0)
    expect(m.counters.offload_blocks_h2d).toBe(0)
    expect(writes).toHaveLength(4)
    serve(blockHashes(tokens(100, 4), TPB))
    serve(a)
    expect(m.counters.onboard_blocks_d2d).toBe(4)
    expect(m.counters.onboard_blocks_h2d).toBe(0)
    expect(m.hitRates.diskHitRate).toBeCloseTo(4 / 12)
  })

  it('does not count G1 prefix hits in matched_tokens', () => {
    const { m, serve } = make('B1', { g1: 16, g2: 16 })
    const a = blockHashes(tokens(0, 4), TPB)
    serve(a)
    const again = serve(a)
    expect(again.g1Hits).toBe(4)
    expect(m.counters.matched_tokens).toBe(0)
    expect(m.counters.onboard_blocks_h2d).toBe(0)
  })

  it('keeps the content read back from disk, so a corrupted block stays corrupted in G1', () => {
    const { m } = make('B2p', { g1: 4, g2: 1, g3: 16 })
    const a = blockHashes(tokens(0, 2), TPB)
    m.acquire('x', a, 2, 2)
    for (const h of a) m.register('x', h, h, false)
    m.release('x')
    m.acquire('y', blockHashes(tokens(100, 4), TPB), 4, 4)
    m.release('y')
    const alloc = m.acquire('z', a, 2, 2)!
    expect(alloc.g3Hits + alloc.g2Hits).toBe(2)
    m.finishOnboard('z', ['garbage', a[1]])
    m.release('z')
    const hit = m.acquire('w', a, 2, 2)!
    expect(hit.g1Hits).toBe(2)
    expect(hit.contents[0]).toBe('garbage')
  })
})
