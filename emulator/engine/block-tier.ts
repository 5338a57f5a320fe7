// One KVBM tier (G2 host or G3 disk): a bounded set of blocks keyed by hash with LRU or LFU eviction.
// Pinned entries (being onboarded) are never evicted. LRU uses Map insertion order (touch = re-insert).

export type EvictionPolicy = 'lru' | 'lfu'

export interface TierEntry {
  key: string
  /** Content hash the stored bytes carry (differs from key when corrupted). */
  content: string
  /** G3 slot in the file; -1 for G2. */
  slot: number
  hits: number
  pins: number
}

export class BlockTier {
  readonly entries = new Map<string, TierEntry>()
  private readonly freeSlots: number[]

  constructor(
    readonly capacity: number,
    readonly policy: EvictionPolicy,
    withSlots: boolean,
  ) {
    this.freeSlots = withSlots ? Array.from({ length: capacity }, (_, i) => capacity - 1 - i) : []
  }

  get size(): number {
    return this.entries.size
  }

  has(key: string): boolean {
    return this.entries.has(key)
  }

  get(key: string): TierEntry | undefined {
    return this.entries.get(key)
  }

  /** Marks a use: moves the entry to MRU position and counts the hit (for LFU). */
  touch(key: string): TierEntry | undefined {
    const e = this.entries.get(key)
    if (!e) return undefined
    e.hits++
    this.entries.delete(key)
    this.entries.set(key, e)
    return e
  }

  /** Picks the victim: least recently used, or least frequently used (ties → least recent). */
  private victim(): TierEntry | undefined {
    let best: TierEntry | undefined
    for (const e of this.entries.values()) {
      if (e.pins > 0) continue
      if (this.policy === 'lru') return e
      if (!best || e.hits < best.hits) best = e
    }
    return best
  }

  /**
   * Inserts a block, evicting one if full. Returns the new entry, or null when every entry is pinned.
   * The returned `evicted` lets the caller account for what left the tier.
   */
  insert(key: string, content: string): { entry: TierEntry; evicted: TierEntry | null } | null {
    const existing = this.entries.get(key)
    if (existing) return { entry: existing, evicted: null }
    if (this.capacity <= 0) return null
    let evicted: TierEntry | null = null
    if (this.entries.size >= this.capacity) {
      const v = this.victim()
      if (!v) return null
      this.entries.delete(v.key)
      if (v.slot >= 0) this.freeSlots.push(v.slot)
      evicted = v
    }
    const slot = this.freeSlots.pop() ?? -1
    const entry: TierEntry = { key, content, slot, hits: 1, pins: 0 }
    this.entries.set(key, entry)
    return { entry, evicted }
  }
}
