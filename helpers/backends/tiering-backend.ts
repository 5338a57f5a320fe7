import type { KvModeId } from '../config/kv-mode'
import type { PromParseResult } from '../telemetry/prometheus-parser'
import type { TierPlan } from '../tiers/tier-plan'
import type { TierCounters } from './tier-counters'

// One interface for every KV tiering backend (KVBM, vLLM native offloading, LMCache, SGLang
// HiCache, TRT-LLM native, llama.cpp), checked by one conformance test. A target driver says
// *where* a server runs and how it starts; a backend says which KV offload layer it uses: how a mode
// and tier plan become configuration, how the mode is verified on the running server, and how its
// metrics map onto the tier-transition vocabulary (tier-counters.ts). Facts per backend:
// ../shared/reference/tiering-backends.md (confidence-tagged; check [U] facts in source).

export type BackendName = 'kvbm' | 'vllm-offload' | 'lmcache' | 'sglang-hicache' | 'trtllm-native' | 'llamacpp'
export type EngineName = 'trtllm' | 'vllm' | 'sglang' | 'llamacpp' | 'kvsim'

/** `caveat`: supported, but the mode means something narrower than its KVBM name (e.g. CPU still stages). */
export type ModeSupport = { supported: true; caveat?: string } | { supported: false; reason: string }

/** A helper process the mode needs beside the server (LMCache MP's `lmcache server`). */
export interface BackendSidecar {
  name: string
  command: string[]
  env: Record<string, string | undefined>
}

/** What a mode + tier plan turn into for one launch. `undefined` env values must be unset. */
export interface BackendLaunchConfig {
  env: Record<string, string | undefined>
  /** Flags appended to the server / worker command line. */
  args: string[]
  /** vLLM `--kv-transfer-config` JSON, when the backend uses a connector. */
  kvTransferConfig: Record<string, unknown> | null
  /** Fragment merged into an engine YAML (TRT-LLM `kv_cache_config`, …). */
  engineYaml: Record<string, unknown> | null
  /** Extra files the launch needs (e.g. an LMCache YAML), by file name inside the run's scratch dir. */
  files: { name: string; content: string }[]
  /** Processes to start before the server (optional; absent = none). */
  sidecars?: BackendSidecar[]
}

/** How to prove on a running server that it really runs the mode. */
export interface ModeVerificationSpec {
  /** Metric families that must be exported in this mode. */
  requiredMetricFamilies: string[]
  /** true: a serving process must hold files open in the disk-tier dir; false: none may (B1); null: cannot be told. */
  diskDirHeldOpen: boolean | null
  /** Whether disk-tier files are expected to be opened with O_DIRECT (null: backend-dependent or unknown). */
  oDirect: boolean | null
}

export interface TieringBackend {
  readonly name: BackendName
  /** Engines this backend runs with. */
  readonly engines: readonly EngineName[]
  /** Whether the backend can run a mode at all, with the reason when not (e.g. no disk filter for B2'). */
  support(mode: KvModeId): ModeSupport
  /** The configuration for a mode and tier plan; throws for an unsupported mode. */
  configure(mode: KvModeId, plan: TierPlan, ctx: { cacheDir: string; metricsPort: number | null }): BackendLaunchConfig
  verification(mode: KvModeId): ModeVerificationSpec
  /** Maps one scrape onto the normalised counters; series the backend lacks stay null. */
  normalise(scrape: PromParseResult): TierCounters
  /** Cached prompt tokens a single response reports (usage.prompt_tokens_details.cached_tokens, timings.cache_n, …), or null. */
  requestCachedTokens(finalEvent: Record<string, unknown>): number | null
}
