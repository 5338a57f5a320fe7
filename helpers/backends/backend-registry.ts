import type { KvbmOptions } from './kvbm'
import { createKvbmBackend } from './kvbm'
import type { LmcacheOptions } from './lmcache'
import { createLmcacheBackend } from './lmcache'
import { llamacppBackend } from './llamacpp'
import { createSglangHicacheBackend } from './sglang-hicache'
import type { BackendName, TieringBackend } from './tiering-backend'
import { createTrtllmNativeBackend } from './trtllm-native'
import { createVllmOffloadBackend } from './vllm-offload'

// The one place that knows every tiering backend. Adding a backend is one import and one entry in
// BACKEND_FACTORIES; the conformance test (test/helpers/backends/backend-conformance.ts) then runs it
// against kvsim in its dialect. Options every factory accepts come from the model spec (KV bytes per
// token, block size); variant-specific ones (LMCache v1 | mp, KVBM's engine) pass through.

export type BackendRegistryOptions = KvbmOptions & LmcacheOptions

export type BackendFactory = (opts: BackendRegistryOptions) => TieringBackend

export const BACKEND_FACTORIES: Partial<Record<BackendName, BackendFactory>> = {
  kvbm: createKvbmBackend,
  'vllm-offload': createVllmOffloadBackend,
  lmcache: createLmcacheBackend,
  'sglang-hicache': createSglangHicacheBackend,
  'trtllm-native': createTrtllmNativeBackend,
  llamacpp: () => llamacppBackend,
}

/** Names of the registered backends, in registration order. */
export const registeredBackendNames = (): BackendName[] => Object.keys(BACKEND_FACTORIES) as BackendName[]

export const isBackendName = (s: string): s is BackendName => Object.hasOwn(BACKEND_FACTORIES, s)

/** The backend called `name`; throws `Expected … got …` naming the registered ones. */
export const createBackend = (name: string, opts: BackendRegistryOptions = {}): TieringBackend => {
  const f = isBackendName(name) ? BACKEND_FACTORIES[name] : undefined
  if (!f) throw new Error(`Expected a tiering backend (TIERBENCH_BACKEND / target.backend) among ${registeredBackendNames().join(', ')}, got ${JSON.stringify(name)}`)
  return f(opts)
}
