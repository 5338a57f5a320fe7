import { createBackend } from '../backends/backend-registry'
import type { TieringBackend } from '../backends/tiering-backend'
import type { KvMode, KvModeId } from '../config/kv-mode'
import type { RunConfig } from '../config/run-config'
import type { TargetKind } from '../target/target'
import { type WorkloadContext, workloadContextFor } from '../workload/workload-context'
import { blockBytesOf, expectedTiers } from '../tiers/expected-tiers'
import { resolvePhaseTiers } from '../tiers/phase-tiers'
import type { EffectiveTiers, TierPlan } from '../tiers/tier-plan'
import type { RunContext } from './run-context'

// What a suite reads from the resolved RunConfig, in the shape the DSL and the suites use. The
// emulator's tier overrides become the modes' *_OVERRIDE_NUM_BLOCKS, exactly as a Dynamo worker
// would be sized by env.
export interface SuiteSettings {
  config: RunConfig
  profileName: RunConfig['profile']['name']
  profile: RunConfig['profile']
  targetKind: TargetKind
  model: RunConfig['model']
  modes: Record<KvModeId, KvMode>
  telemetryCadenceMs: number
  client: { headersTimeoutMs: number; bodyTimeoutMs: number }
  seed: number
  /** Scale a count by the profile's workload_scale, never below `min`. */
  scaled(n: number, min?: number): number
  /** A workload context for this run's model (served name filled in once the target is known). */
  workloadContext(servedModel: string, extra?: Partial<WorkloadContext>): WorkloadContext
  /** The tiering backend the target runs (target.backend, TIERBENCH_BACKEND; KVBM by default), sized by the model spec. */
  tierBackend: TieringBackend
  /** Bytes of one KV block of this run's model. */
  blockBytes: number
  /** A mode's tier plan with a phase's overrides, and the KvMode that carries it to the driver. */
  phaseTiers(mode: KvModeId | KvMode, overrides?: Partial<TierPlan>): { mode: KvMode; plan: TierPlan }
  /**
   * The capacities this run's target will have for a mode and tier plan (predicted before it starts;
   * the driver reports the real ones and the preflight checks working sets against those).
   */
  expectedTiers(mode: KvModeId | KvMode, overrides?: Partial<TierPlan>): EffectiveTiers
}

export const resolveSuiteSettings = (run: RunContext): SuiteSettings => {
  const config = run.config as unknown as RunConfig
  const modes = { ...config.kvModes }
  if (config.target.kind === 'emulator') {
    const t = config.target.tiers
    for (const id of Object.keys(modes) as KvModeId[]) {
      const m = { ...modes[id] }
      if (t.g2_blocks !== undefined && m.cpuCacheOverrideNumBlocks === undefined) m.cpuCacheOverrideNumBlocks = t.g2_blocks
      if (t.g3_blocks !== undefined && m.diskCacheOverrideNumBlocks === undefined) m.diskCacheOverrideNumBlocks = t.g3_blocks
      modes[id] = m
    }
  }
  const blockBytes = blockBytesOf(config.model)
  const modeOf = (m: KvModeId | KvMode): KvMode => (typeof m === 'string' ? modes[m] : { ...modes[m.id], ...m })
  const phaseTiers = (m: KvModeId | KvMode, overrides: Partial<TierPlan> = {}) => resolvePhaseTiers(modeOf(m), blockBytes, overrides)
  return {
    blockBytes,
    phaseTiers,
    expectedTiers: (m, overrides) => {
      const r = phaseTiers(m, overrides)
      return expectedTiers(config.target, config.model, r.mode, r.plan)
    },
    config,
    profileName: config.profile.name,
    profile: config.profile,
    targetKind: config.target.kind,
    model: config.model,
    modes,
    telemetryCadenceMs: config.telemetry.cadence_ms,
    client: { headersTimeoutMs: config.client.headers_timeout_ms, bodyTimeoutMs: config.client.body_timeout_ms },
    seed: config.seed,
    scaled: (n, min = 1) => Math.max(min, Math.round(n * config.profile.workload_scale)),
    workloadContext: (servedModel, extra = {}) => workloadContextFor(config.model, config.seed, { model: servedModel, ...extra }),
    // The llama.cpp target always runs llama.cpp's own counters (its backend is not configurable).
    tierBackend: createBackend('backend' in config.target ? config.target.backend : config.target.kind === 'llamacpp' ? 'llamacpp' : 'kvbm', {
      kvBytesPerToken: config.model.kv_bytes_per_token,
      blockTokens: config.model.tokens_per_block,
    }),
  }
}
