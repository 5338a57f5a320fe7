import type { KvMode, KvModeId } from '../config/kv-mode'
import type { EffectiveTiers, TierPlan } from '../tiers/tier-plan'

// One interface for every serving stack (emulator, external, dynamo), checked by one conformance
// test (test/helpers/target/target-conformance.ts). A mode change is a worker restart with the
// mode's env and engine settings, then a verification that the stack really runs in that mode.

export type TargetKind = 'emulator' | 'external' | 'llamacpp' | 'vllm' | 'sglang' | 'dynamo'

/** How to read the health endpoint: `dynamo` = liveness only (200 "healthy" even with zero workers on current Dynamo), `http-status` = 2xx means ready. */
export type HealthStyle = 'dynamo' | 'http-status'

export interface TargetInfo {
  kind: TargetKind
  /** e.g. http://127.0.0.1:8000 (no trailing slash) */
  baseUrl: string
  /** The served model name to put in requests. */
  model: string
  /** Prometheus endpoint of the frontend (Dynamo `/metrics` on the HTTP port), if any. */
  frontendMetricsUrl: string | null
  /** Prometheus endpoint of KVBM (`:6880/metrics`), if the mode exposes one. */
  kvbmMetricsUrl: string | null
  /** True for kvsim: every artifact is labelled emulated and never decision-grade. */
  emulated: boolean
  mode: KvModeId
  /** Whether the mode was verified against the stack (metrics, open files) or only declared. */
  modeVerified: boolean
  modeEvidence: string[]
  /** Processes whose IO is the serving stack's own (for attribution). */
  pids: number[]
  /** KV disk cache directory (G3), when the mode has a disk tier. */
  cacheDir: string | null
  /** Largest prompt the engine accepts, in tokens (max input / max_num_tokens), if known. */
  maxInputTokens: number | null
  /** Emulator profile, engine YAML hash, image digest, versions… */
  provenance: Record<string, unknown>
  healthStyle: HealthStyle
  /** Files holding the stack's stdout/stderr. */
  logFiles: string[]
  /** Tier capacities the running engine really has (its startup log / metrics), when the driver can tell. */
  tiers?: EffectiveTiers | null
  /** What the server does with a prompt over its max input (helpers/target/over-limit.ts); unset = by kind. */
  overLimit?: 'rejects' | 'unregisters' | 'unknown'
}

export interface ReadinessReport {
  ready: boolean
  health: { ok: boolean; status: number | null; body: string }
  models: string[]
  probe: { ok: boolean; ttftMs: number | null; error: string | null }
  elapsedMs: number
}

export interface ApplyModeOptions {
  /** Remove everything in the cache dir before the worker starts. @default true */
  wipeCache?: boolean
  /** Emulator only: fault spec passed to kvsim (`--faults`). */
  faults?: string
  /** Extra env for the worker (e.g. KVSIM_* knobs). */
  env?: Record<string, string>
  /** The phase's tier plan; host/disk sizes also travel in the KvMode, the device tier only here. */
  tiers?: TierPlan
  /** Largest prompt the engine must accept (dataset L); drivers that cannot reconfigure it ignore it. */
  maxInputTokens?: number
  /** The claim needs disk reads of real block size (kvsim otherwise shrinks G3 blocks by its IO scale). */
  realBlockIo?: boolean
}

export interface Target {
  readonly kind: TargetKind
  /** Start the stack (emulator, dynamo) or attach to it (external). */
  start(): Promise<TargetInfo>
  /** Restart the worker in this mode, wait until ready, verify the mode. */
  applyMode(mode: KvMode, opts?: ApplyModeOptions): Promise<TargetInfo>
  /** Health says ready in the server's own terms AND /v1/models non-empty AND one completion streams to the end. */
  ready(opts?: { timeoutMs?: number }): Promise<ReadinessReport>
  info(): TargetInfo
  /** Stop everything this driver started and reap its processes; attach-only drivers just detach. */
  stop(): Promise<void>
}
