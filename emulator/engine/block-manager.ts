import type { KvModeId } from '../../helpers/config/kv-mode'
import type { KvbmCounters } from './engine-types'
import { BlockTier, type EvictionPolicy, type TierEntry } from './block-tier'
import { HitRateWindow } from './hit-rate-window'

// The KV block manager: G1 (device, TRT-LLM's reuse pool) and KVBM's G2 (host) and G3 (disk) tiers,
// with Dynamo's counter semantics (reference/dynamo-kvbm.md §1):
//   offload d2h = G1→G2, offload h2d = G2→G3, offload d2d = G1→G3 (disk-only mode);
//   onboard h2d = G2→G1, onboard d2d = G3→G1; matched_tokens = tokens onboarded from G2/G3 only.
// KVBM offloads every completed block G1→G2 when it is registered (write-through); G2→G3 only for
// blocks whose frequency (starts at 1, doubles per reuse) reached 2, unless the filter is disabled.

export interface BlockManagerOptions {
  mode: KvModeId
  tokensPerBlock: number
  g1Blocks: number
  g2Blocks: number
  g3Blocks: number
  evictionPolicy: EvictionPolicy
  hitRateWindow: number
  /** Starts the real G3 write of `content` at `slot` (fire and forget; reads of the slot wait for it). */
  writeG3: ((slot: number, content: string) => void) | null
}

export interface G3Read {
  /** Index of the block in the request's prompt. */
  index: number
  key: string
  slot: number
}

export interface Allocation {
  g1Hits: number
  g2Hits: number
  g3Hits: number
  /** Content of matched blocks [0, g1Hits + g2Hits + g3Hits); null for G3 blocks until read. */
  contents: (string | null)[]
  g3Reads: G3Read[]
}

interface G1Entry {
  key: string
  content: string
  refs: number
  hits: number
}

interface RequestBlocks {
  /** G1 keys this request pins (one ref each). */
  pinned: string[]
  /** G1 blocks reserved but not yet holding a registered block. */
  reserved: number
  /** Lower-tier entries pinned while they are onboarded. */
  lowerPins: TierEntry[]
  /** Keys of blocks being onboarded, by prompt index. */
  onboarding: string[]
}

const FILTER_MAX_ENTRIES = 1_000_000

export class BlockManager {
  readonly counters: KvbmCounters = {
    offload_blocks_d2h: 0,
    offload_blocks_h2d: 0,
    offload_blocks_d2d: 0,
    onboard_blocks_h2d: 0,
    onboard_blocks_d2d: 0,
    matched_tokens: 0,
  }
  readonly g2: BlockTier
  readonly g3: BlockTier
  readonly hitRates: HitRateWindow
  private readonly g1 = new Map<string, G1Entry>()
  private g1Pinned = 0
  private reservedTotal = 0
  private readonly requests = new Map<string, RequestBlocks>()
  private readonly frequency = new Map<string, number>()
  private readonly hostTier: boolean
  private readonly diskTier: boolean
  private readonly diskFilter: boolean

  constructor(private readonly opts: BlockManagerOptions) {
    this.hostTier = opts.mode === 'B1' || opts.mode === 'B2' || opts.mode === 'B2p'
    this.diskTier = opts.mode === 'B2' || opts.mode === 'B2p' || opts.mode === 'B3'
    // The frequency filter exists only when both host and disk tiers do (create_disk_offload_filter).
    this.diskFilter = opts.mode === 'B2'
    this.g2 = new BlockTier(this.hostTier ? opts.g2Blocks : 0, opts.evictionPolicy, false)
    this.g3 = new BlockTier(this.diskTier ? opts.g3Blocks : 0, opts.evictionPolicy, true)
    this.hitRates = new HitRateWindow(opts.hitRateWindow)
  }

  get g1Total(): number {
    return this.opts.g1Blocks
  }

  get g1Used(): number {
    return this.g1.size + this.reservedTotal
  }

  /** Blocks a new request could claim right now (cached blocks nobody pins can be evicted). */
  get g1Available(): number {
    return this.opts.g1Blocks - this.g1Pinned - this.reservedTotal
  }

  /** Whether G1 holds the block (for tests and debugging). */
  g1Has(key: string): boolean {
    return this.g1.has(key)
  }

  /**
   * Matches the request's prompt blocks against G1, then G2/G3, and reserves G1 room for the rest.
   * `matchable` caps reuse (at least one prompt token is always recomputed); `blocksNeeded` is every
   * block the request may fill (prompt + max output). Returns null when G1 has no room yet.
   */
  acquire(reqId: string, hashes: string[], matchable: number, blocksNeeded: number): Allocation | null {
    if (this.requests.has(reqId)) throw new Error(`Expected a new request id got ${reqId} twice`)
    let g1Hits = 0
    let newlyPinned = 0
    while (g1Hits < matchable) {
      const e = this.g1.get(hashes[g1Hits])
      if (!e) break
      if (e.refs === 0) newlyPinned++
      g1Hits++
    }
    const lower: { tier: 'g2' | 'g3'; entry: TierEntry }[] = []
    for (let i = g1Hits; i < matchable; i++) {
      const inG2 = this.g2.get(hashes[i])
      const inG3 = inG2 ? undefined : this.g3.get(hashes[i])
      if (inG2) lower.push({ tier: 'g2', entry: inG2 })
      else if (inG3) lower.push({ tier: 'g3', entry: inG3 })
      else break
    }
    const reserve = Math.max(0, blocksNeeded - g1Hits)
    if (newlyPinned + reserve > this.g1Available) return null

    const rb: RequestBlocks = { pinned: [], reserved: reserve, lowerPins: [], onboarding: [] }
    this.requests.set(reqId, rb)
    const contents: (string | null)[] = []
    for (let i = 0; i < g1Hits; i++) {
      const e = this.g1.get(hashes[i])!
      if (e.refs === 0) this.g1Pinned++
      e.refs++
      e.hits++
      rb.pinned.push(e.key)
      contents.push(e.content)
    }
    this.reservedTotal += reserve
    this.evictG1(this.g1.size + this.reservedTotal - this.opts.g1Blocks)

    const g3Reads: G3Read[] = []
    let g2Hits = 0
    let g3Hits = 0
    for (const [k, { tier, entry }] of lower.entries()) {
      const index = g1Hits + k
      entry.pins++
      rb.lowerPins.push(entry)
      rb.onboarding.push(entry.key)
      if (tier === 'g2') {
        this.g2.touch(entry.key)
        contents.push(entry.content)
        g2Hits++
      } else {
        this.g3.touch(entry.key)
        contents.push(null)
        g3Reads.push({ index, key: entry.key, slot: entry.slot })
        g3Hits++
      }
    }
    this.counters.onboard_blocks_h2d += g2Hits
    this.counters.onboard_blocks_d2d += g3Hits
    this.counters.matched_tokens += (g2Hits + g3Hits) * this.opts.tokensPerBlock
    if (this.opts.mode !== 'B0') this.hitRates.record(matchable - g1Hits, g2Hits, g3Hits)

    // Every block the prompt references counts as a use for the disk offload filter; a reused block
    // that already sits in G2 now qualifies for G2→G3.
    for (const key of hashes) this.touchFrequency(key)
    if (this.diskFilter) for (const key of hashes) this.maybeOffloadHostToDisk(key)

    return { g1Hits, g2Hits, g3Hits, contents, g3Reads }
  }

  /** Onboarding finished: the onboarded blocks become G1 blocks with the content actually read. */
  finishOnboard(reqId: string, contents: string[]): void {
    const rb = this.mustGet(reqId)
    for (const e of rb.lowerPins) e.pins--
    rb.lowerPins = []
    for (const [i, key] of rb.onboarding.entries()) this.claimG1(rb, key, contents[i])
    rb.onboarding = []
  }

  /** A block the request computed (prompt or decode) is complete: register it and offload per mode. */
  register(reqId: string, key: string, content: string, countAsUse: boolean): void {
    const rb = this.mustGet(reqId)
    if (!this.claimG1(rb, key, content)) return
    if (countAsUse) this.touchFrequency(key)
    if (this.hostTier) {
      if (this.g2.has(key)) this.g2.touch(key)
      else if (this.g2.insert(key, content)) this.counters.offload_blocks_d2h++
      if (this.opts.mode === 'B2p') this.offloadToDisk(key, content, 'h2d')
      else if (this.diskFilter) this.maybeOffloadHostToDisk(key)
    } else if (this.opts.mode === 'B3') {
      this.offloadToDisk(key, content, 'd2d')
    }
  }

  /** The request ended: unpin its blocks (they stay cached in G1) and free unused reservations. */
  release(reqId: string): void {
    const rb = this.requests.get(reqId)
    if (!rb) return
    this.requests.delete(reqId)
    for (const e of rb.lowerPins) e.pins--
    for (const key of rb.pinned) {
      const e = this.g1.get(key)
      if (!e) continue
      e.refs--
      if (e.refs === 0) {
        this.g1Pinned--
        // Most recently used goes to the back of the Map, which is the LRU order.
        this.g1.delete(key)
        this.g1.set(key, e)
      }
    }
    this.reservedTotal -= rb.reserved
  }

  private mustGet(reqId: string): RequestBlocks {
    const rb = this.requests.get(reqId)
    if (!rb) throw new Error(`Expected an acquired request got unknown id ${reqId}`)
    return rb
  }

  /** Turns one reserved unit into a pinned G1 block; false when the reservation is used up. */
  private claimG1(rb: RequestBlocks, key: string, content: string): boolean {
    if (rb.reserved <= 0) return false
    rb.reserved--
    this.reservedTotal--
    const existing = this.g1.get(key)
    if (existing) {
      // Computed concurrently by another request: share it, our reserved block goes back to the pool.
      if (existing.refs === 0) this.g1Pinned++
      existing.refs++
      rb.pinned.push(key)
      return false
    }
    this.g1.set(key, { key, content, refs: 1, hits: 1 })
    this.g1Pinned++
    rb.pinned.push(key)
    return true
  }

  private evictG1(count: number): void {
    if (count <= 0) return
    const victims: string[] = []
    if (this.opts.evictionPolicy === 'lru') {
      for (const e of this.g1.values()) {
        if (victims.length >= count) break
        if (e.refs === 0) victims.push(e.key)
      }
    } else {
      const free = [...this.g1.values()].filter((e) => e.refs === 0)
      free.sort((a, b) => a.hits - b.hits)
      for (const e of free.slice(0, count)) victims.push(e.key)
    }
    for (const key of victims) this.g1.delete(key)
  }

  private touchFrequency(key: string): void {
    const f = this.frequency.get(key)
    if (f === undefined && this.frequency.size >= FILTER_MAX_ENTRIES) this.frequency.clear()
    this.frequency.set(key, f === undefined ? 1 : Math.min(f * 2, 1 << 20))
  }

  private maybeOffloadHostToDisk(key: string): void {
    const e = this.g2.get(key)
    if (!e || (this.frequency.get(key) ?? 0) < 2) return
    this.offloadToDisk(key, e.content, 'h2d')
  }

  private offloadToDisk(key: string, content: string, kind: 'h2d' | 'd2d'): void {
    if (this.g3.has(key)) {
      this.g3.touch(key)
      return
    }
    const ins = this.g3.insert(key, content)
    if (!ins) return
    if (kind === 'h2d') this.counters.offload_blocks_h2d++
    else this.counters.offload_blocks_d2d++
    this.opts.writeG3?.(ins.entry.slot, content)
  }

  /** Frequency the disk offload filter holds for a block (for tests). */
  frequencyOf(key: string): number {
    return this.frequency.get(key) ?? 0
  }
}
