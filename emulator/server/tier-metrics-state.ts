import type { KvModeId } from '../../helpers/config/kv-mode'
import type { EngineStats, KvbmCounters, PrefixCounters } from '../engine/engine-types'

// What every metric dialect renders from: kvsim's one block manager, seen through each stack's names.
// Blocks are kvsim blocks (tokensPerBlock tokens); byte counters are logical KV bytes
// (kvBytesPerToken per token, before --io-scale), as the real engines count them.
export interface TierMetricsState {
  mode: KvModeId
  model: string
  tokensPerBlock: number
  kvBytesPerToken: number
  counters: KvbmCounters
  prefix: PrefixCounters
  stats: EngineStats
  /** Unix seconds kvsim started (prometheus_client `_created`). */
  startedAtS: number
}

export const hasDisk = (m: KvModeId): boolean => m === 'B2' || m === 'B2p' || m === 'B3'
export const hasOffload = (m: KvModeId): boolean => m !== 'B0'
