import { kvModeEnv, type KvMode, kvModeHasDiskTier, kvModeHasHostTier } from '../config/kv-mode'
import type { ModelSpec } from '../config/model-spec'
import type { TargetConfig } from '../config/target-config'
import { tierBlocksFromEnv } from '../../emulator/engine/create-engine'
import { g1Blocks } from '../../emulator/engine/emulator-profile'
import { PROFILES } from '../../emulator/profiles'
import { parseDynamoConfig } from '../target/dynamo-config'
import { kvsimTierEnv } from './kvsim-tier-env'
import type { EffectiveTiers, TierPlan } from './tier-plan'

// The capacities a target will have for a tier plan, predicted before it starts, so a suite can size
// its working sets when its phases are built (and `tierbench plan` can print them). The driver
// reports the capacities it really got once the engine is up, and the preflight checks the working
// set against those: a wrong prediction fails fast, it never silently produces a run that fits.

export const blockBytesOf = (model: ModelSpec): number => model.kv_bytes_per_token * model.tokens_per_block

const tokensOf = (bytes: number, model: ModelSpec) => Math.floor(bytes / blockBytesOf(model)) * model.tokens_per_block

export const expectedTiers = (target: TargetConfig, model: ModelSpec, mode: KvMode, plan: TierPlan): EffectiveTiers => {
  const tpb = model.tokens_per_block
  const hasHost = kvModeHasHostTier(mode.id)
  const hasDisk = kvModeHasDiskTier(mode.id)
  switch (target.kind) {
    case 'emulator': {
      const p = PROFILES[target.profile]
      if (!p) break
      // Exactly what kvsim will compute from the env the emulator target hands it.
      const env = { ...kvModeEnv(mode, { cacheDir: '/nonexistent', metricsPort: 0 }), ...kvsimTierEnv(plan, p.tokensPerBlock, target.tiers.g1_blocks) }
      const b = tierBlocksFromEnv(p, env, mode.id)
      return {
        block_tokens: p.tokensPerBlock,
        kv_bytes_per_token: p.kvBytesPerToken,
        device_kv_tokens: b.g1 * p.tokensPerBlock,
        host_tier_tokens: b.g2 * p.tokensPerBlock,
        disk_tier_tokens: b.g3 * p.tokensPerBlock,
        source: { device_kv_tokens: 'configured', host_tier_tokens: 'configured', disk_tier_tokens: 'configured' },
      }
    }
    case 'dynamo': {
      const engine = parseDynamoConfig(target.dynamo).engine
      // TRT-LLM sizes its pool as free_gpu_memory_fraction x free memory, capped by max_tokens; the
      // memory arithmetic of the model's Spark profile (weights, 128 GB) is the estimate until the log says.
      const p = PROFILES[model.id]
      const estimate = p ? g1Blocks({ ...p, freeGpuMemoryFraction: engine.free_gpu_memory_fraction, kvBytesPerToken: model.kv_bytes_per_token }) * tpb : null
      const device = plan.device_kv_tokens !== null ? (estimate === null ? plan.device_kv_tokens : Math.min(plan.device_kv_tokens, estimate)) : estimate
      return {
        block_tokens: engine.tokens_per_block,
        kv_bytes_per_token: model.kv_bytes_per_token,
        device_kv_tokens: device,
        host_tier_tokens: hasHost ? tokensOf(plan.host_tier_bytes, model) : 0,
        disk_tier_tokens: hasDisk ? tokensOf(plan.disk_tier_bytes, model) : 0,
        source: {
          device_kv_tokens: plan.device_kv_tokens !== null ? 'configured' : estimate === null ? 'unknown' : 'estimated',
          host_tier_tokens: 'configured',
          disk_tier_tokens: 'configured',
        },
      }
    }
    case 'external': {
      // A server we do not start cannot be sized: it declares its capacities (or the driver reads them).
      const d = target.tiers ?? {}
      const src = (v: number | undefined) => (v === undefined ? 'unknown' : 'declared') as 'unknown' | 'declared'
      return {
        block_tokens: tpb,
        kv_bytes_per_token: model.kv_bytes_per_token,
        device_kv_tokens: d.device_kv_tokens ?? null,
        host_tier_tokens: hasHost ? (d.host_tier_tokens ?? null) : 0,
        disk_tier_tokens: hasDisk ? (d.disk_tier_tokens ?? null) : 0,
        source: { device_kv_tokens: src(d.device_kv_tokens), host_tier_tokens: src(d.host_tier_tokens), disk_tier_tokens: src(d.disk_tier_tokens) },
      }
    }
  }
  return {
    block_tokens: tpb,
    kv_bytes_per_token: model.kv_bytes_per_token,
    device_kv_tokens: null,
    host_tier_tokens: null,
    disk_tier_tokens: null,
    source: { device_kv_tokens: 'unknown', host_tier_tokens: 'unknown', disk_tier_tokens: 'unknown' },
  }
}
