import { tierBlocksFromEnv } from '../../emulator/engine/create-engine'
import { PROFILES } from '../../emulator/profiles'
import { type KvMode, kvModeEnv, kvModeHasDiskTier, kvModeHasHostTier, KV_MODE_DEFAULT_CPU_GB, KV_MODE_DEFAULT_DISK_GB } from '../config/kv-mode'
import type { ModelSpec } from '../config/model-spec'
import type { EffectiveTiers } from '../tiers/tier-plan'
import type { TierCapacities } from './trace-whatif'

// Tier capacities (target tokens) to mark on the what-if curve and to predict hits at. Until
// drivers report effective capacities (the TierPlan work), they come from what the run configures:
// on kvsim the exact block counts kvsim will use (its own sizing code), elsewhere the mode's host /
// disk GB over the model's KV bytes per token, with the device tier unknown unless given. The
// result is plain numbers, so an EffectiveTiers record replaces this function one for one.

export interface CapacityInput {
  mode: KvMode
  model: ModelSpec
  /** kvsim profile when the target is the emulator. */
  emulatorProfile?: string | null
  /** Extra worker env of the phase (KVSIM_G1_OVERRIDE_NUM_BLOCKS …). */
  env?: Record<string, string>
  /** Device KV tokens when known (engine log, server props); wins over the emulator profile. */
  deviceTokens?: number | null
}

export interface CapacityResult {
  capacities: TierCapacities
  source: string
}

const GB = 1e9

export const tierCapacitiesFor = (o: CapacityInput): CapacityResult => {
  const id = o.mode.id
  // KVBM's disk offload filter admits a block on its second use (B2); B2' and B3 write on first touch.
  const disk_min_prior_uses = id === 'B2' ? 2 : 1
  const profile = o.emulatorProfile ? PROFILES[o.emulatorProfile] : undefined
  if (profile) {
    const env = { ...kvModeEnv(o.mode, { cacheDir: '/nonexistent', metricsPort: 0 }), ...o.env }
    const b = tierBlocksFromEnv(profile, env, id)
    const tpb = profile.tokensPerBlock
    return {
      capacities: { device_tokens: o.deviceTokens ?? b.g1 * tpb, host_tokens: b.g2 * tpb, disk_tokens: b.g3 * tpb, disk_min_prior_uses },
      source: `kvsim ${o.emulatorProfile} tier blocks (G1 ${b.g1}, G2 ${b.g2}, G3 ${b.g3} x ${tpb} tokens)`,
    }
  }
  const tpb = o.model.tokens_per_block
  const fromGb = (has: boolean, blocks: number | undefined, gb: number | undefined, dflt: number) => {
    if (!has) return 0
    if (blocks !== undefined) return blocks * tpb
    return Math.floor(((gb ?? dflt) * GB) / o.model.kv_bytes_per_token)
  }
  return {
    capacities: {
      device_tokens: o.deviceTokens ?? null,
      host_tokens: fromGb(kvModeHasHostTier(id), o.mode.cpuCacheOverrideNumBlocks, o.mode.cpuCacheGb, KV_MODE_DEFAULT_CPU_GB[id]),
      disk_tokens: fromGb(kvModeHasDiskTier(id), o.mode.diskCacheOverrideNumBlocks, o.mode.diskCacheGb, KV_MODE_DEFAULT_DISK_GB[id]),
      disk_min_prior_uses,
    },
    source: `${o.model.id} KV bytes/token ${o.model.kv_bytes_per_token} over the mode's host/disk GB; device ${o.deviceTokens ? 'as given' : 'unknown'}`,
  }
}

/**
 * The capacities a driver reports (TierPlan work: EffectiveTiers, tokens, null = unknown) as what
 * the what-if takes. The disk filter is a property of the mode, not of the sizes.
 */
export const capacitiesFromEffective = (e: EffectiveTiers, modeId: KvMode['id']): TierCapacities => ({
  device_tokens: e.device_kv_tokens,
  host_tokens: e.host_tier_tokens,
  disk_tokens: e.disk_tier_tokens,
  disk_min_prior_uses: modeId === 'B2' ? 2 : 1,
})

/**
 * Capacities from a target's effective tiers (the driver's report, else its prediction), each known
 * value replacing the configured one; unknown (null) ones keep it. `pinDevice`: the user gave
 * trace.device_kv_tokens, which wins. The source names where each figure came from.
 */
export const withEffectiveTiers = (base: CapacityResult, e: EffectiveTiers, modeId: KvMode['id'], pinDevice = false): CapacityResult => {
  const c = capacitiesFromEffective(e, modeId)
  const pick = (eff: number | null, fallback: number | null, name: string, src: string): [number | null, string] =>
    eff !== null ? [eff, `${name} ${src}`] : [fallback, `${name} from config`]
  const [device, ds] = pinDevice ? [base.capacities.device_tokens, 'device as given (trace.device_kv_tokens)'] : pick(c.device_tokens, base.capacities.device_tokens, 'device', e.source.device_kv_tokens)
  const [host, hs] = pick(c.host_tokens, base.capacities.host_tokens, 'host', e.source.host_tier_tokens)
  const [disk, ks] = pick(c.disk_tokens, base.capacities.disk_tokens, 'disk', e.source.disk_tier_tokens)
  return {
    capacities: { device_tokens: device, host_tokens: host, disk_tokens: disk, disk_min_prior_uses: c.disk_min_prior_uses },
    source: `effective tiers (${ds}, ${hs}, ${ks}); config: ${base.source}`,
  }
}
