import { describe, expect, it } from 'vitest'
import { BlockTier } from '../../../emulator/engine/block-tier'

describe('BlockTier', () => {
  it('evicts the least recently used block under LRU, where a touch counts as a use', () => {
    const t = new BlockTier(2, 'lru', false)
    t.insert('a', 'a')
    t.insert('b', 'b')
    t.touch('a')
    const r = t.insert('c', 'c')
    expect(r?.evicted?.key).toBe('b')
    expect([...t.entries.keys()].sort()).toEqual(['a', 'c'])
  })

  it('evicts the least frequently used block under LFU even if it was used recently', () => {
    const t = new BlockTier(2, 'lfu', false)
    t.insert('a', 'a')
    t.insert('b', 'b')
    t.touch('a')
    t.touch('a')
    t.touch('b')
    t.insert('c', 'c')
    // hits: a=3, b=2 → b goes, although it was touched last.
    expect(t.has('b')).toBe(false)
    expect(t.has('a')).toBe(true)
  })

  it('never evicts a pinned block and refuses the insert when every block is pinned', () => {
    const t = new BlockTier(1, 'lru', true)
    const first = t.insert('a', 'a')!
    first.entry.pins = 1
    expect(t.insert('b', 'b')).toBeNull()
    first.entry.pins = 0
    expect(t.insert('b', 'b')?.evicted?.key).toBe('a')
  })

  it('hands out every G3 slot once and reuses the slot of an evicted block', () => {
    const t = new BlockTier(3, 'lru', true)
    const slots = ['a', 'b', 'c'].map((k) => t.insert(k, k)!.entry.slot)
    expect(new Set(slots).size).toBe(3)
    expect(slots.every((s) => s >= 0 && s < 3)).toBe(true)
    const d = t.insert('d', 'd')!
    expect(d.evicted?.key).toBe('a')
    expect(d.entry.slot).toBe(slots[0])
  })
})
