// The boundary between kvsim's HTTP server (emulator/server/) and its engine (emulator/engine/).
// The server validates requests, tokenizes, frames SSE and exposes metrics; the engine schedules
// (continuous batching), models time, manages tiered KV blocks with real G3 file IO, and decides
// each generated token. Callbacks, not async iterators: 1,000 concurrent streams on one core.

export interface GenerateRequest {
  id: string
  /** Prompt token ids after the chat template (chat) or as sent (completions). */
  promptTokens: number[]
  maxTokens: number
  ignoreEos: boolean
  temperature: number
  topP: number
  seed: number | null
  /** Stop strings; the engine ends the stream when generated text contains one. */
  stop: string[]
  /** LoRA adapter name, if the request asked for one. */
  adapter: string | null
  /** process.hrtime.bigint() when the server received the request. */
  receivedNs: bigint
  /**
   * Integrity probe planted in the prompt (the server finds `The secret code word is "X".`):
   * the answer starts with X only when the KV block holding that token offset is intact.
   */
  needle: { answer: string; tokenOffset: number } | null
}

export interface FinishInfo {
  finishReason: 'length' | 'stop'
  promptTokens: number
  completionTokens: number
  /** Prompt tokens served from any KV tier (G1 prefix hit + onboarded). */
  cachedTokens: number
}

export interface TokenSink {
  /**
   * One generated token; `text` is its decoded piece (may be empty for partial UTF-8). `dueNs` is
   * when the performance model says it should be emitted, so emission lateness can be measured.
   */
  onToken(text: string, tokenId: number, dueNs: bigint): void
  onDone(info: FinishInfo): void
  /** Backend error after admission (the server turns it into SSE `event: error`). */
  onError(err: { code: string; message: string }): void
}

export interface EngineRequestHandle {
  /** Client went away: free the slot and KV. */
  cancel(): void
}

/** Counters with exactly Dynamo's KVBM semantics (reference/dynamo-kvbm.md §1). */
export interface KvbmCounters {
  offload_blocks_d2h: number
  offload_blocks_h2d: number
  offload_blocks_d2d: number
  onboard_blocks_h2d: number
  onboard_blocks_d2d: number
  /** Only tokens onboarded from G2/G3; G1 prefix hits do not count. */
  matched_tokens: number
}

export interface PrefixCounters {
  promptTokens: number
  deviceHitTokens: number
  /** Tokens generated (emitted), cumulative. */
  generatedTokens: number
}

export interface EngineStats {
  inflight: number
  queued: number
  running: number
  g1: { totalBlocks: number; usedBlocks: number }
  g2: { totalBlocks: number; usedBlocks: number }
  g3: { totalBlocks: number; usedBlocks: number }
  /** Sliding-window hit rates over the last N requests (DYN_KVBM_CACHE_STATS_MAX_REQUESTS). */
  hostHitRate: number
  diskHitRate: number
  /** Latest G3 onboard latency samples in ms (for the emulator's own debug endpoint). */
  lastOnboardMs: number | null
  loadedAdapters: string[]
}

/** Faults the engine honours; the server owns parsing and the admin endpoint and mutates this object. */
export interface EngineFaults {
  /** Fraction of onboarded G3 blocks whose bytes come back wrong (counters still count the hit). */
  corruptDisk: number
  /** Extra latency added to every G3 read, ms (models a degraded SSD). */
  slowDiskMs: number
  /** Fraction of requests that are admitted but never yield a token. */
  stall: number
}

export interface Engine {
  readonly profileName: string
  readonly maxInputTokens: number
  readonly tokensPerBlock: number
  /** Bytes written to G3 per block after --io-scale. */
  readonly g3BlockBytes: number
  /** Tier capacities in blocks the engine really runs with (its effective tiers, printed at start). */
  readonly tierBlocks: { g1: number; g2: number; g3: number }
  /** KV bytes per token of the profile (before --io-scale). */
  readonly kvBytesPerToken: number
  readonly g3: { path: string | null; oDirect: boolean; fallbackReason: string | null }
  submit(req: GenerateRequest, sink: TokenSink): EngineRequestHandle
  stats(): EngineStats
  kvbmCounters(): KvbmCounters
  /** Prompt tokens admitted and the ones served from the device (G1) prefix cache, cumulative. */
  prefixCounters(): PrefixCounters
  faults: EngineFaults
  /** Stop scheduling, fail in-flight requests with onError, close and remove the G3 file. */
  close(): Promise<void>
}
