import type { TargetKind } from '../target/target'
import type { EvictionPolicy } from './tier-plan'

// Eviction policies a target's offload tiers can run. kvsim models LRU and LFU; KVBM (Dynamo) evicts
// LRU only, so an LFU cell there would silently run as LRU: it is reported not applicable instead.
// An external server cannot be reconfigured: only its own (assumed LRU) policy.
export const supportedEvictionPolicies = (kind: TargetKind): { supported: EvictionPolicy[]; notApplicable: Partial<Record<EvictionPolicy, string>> } =>
  kind === 'emulator'
    ? { supported: ['lru', 'lfu'], notApplicable: {} }
    : {
        supported: ['lru'],
        notApplicable: { lfu: kind === 'dynamo' ? 'KVBM evicts LRU only (no policy switch)' : 'an external server runs its own policy; it cannot be switched' },
      }
