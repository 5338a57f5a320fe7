import { describe, expect, test } from 'vitest'
import { loadRunConfig } from '../../../helpers/config/load-run-config'
import { capacitiesFromEffective, tierCapacitiesFor, withEffectiveTiers } from '../../../helpers/trace/tier-capacities'

const config = loadRunConfig({ cwd: process.cwd(), env: {} })

describe('tier capacities for the what-if', () => {
  test('kvsim: the block counts kvsim itself sizes (tiny: G1 96, G2 192, G3 768 blocks of 32 tokens)', () => {
    const b2 = tierCapacitiesFor({ mode: config.kvModes.B2, model: config.models.tiny, emulatorProfile: 'tiny' })
    expect(b2.capacities).toEqual({ device_tokens: 96 * 32, host_tokens: 192 * 32, disk_tokens: 768 * 32, disk_min_prior_uses: 2 })
    const b0 = tierCapacitiesFor({ mode: config.kvModes.B0, model: config.models.tiny, emulatorProfile: 'tiny' })
    expect(b0.capacities).toMatchObject({ host_tokens: 0, disk_tokens: 0 })
  })

  test('elsewhere: host and disk GB over KV bytes per token, device only when given', () => {
    const m = config.models['llama31-8b-fp8']
    const r = tierCapacitiesFor({ mode: { id: 'B2p', cpuCacheGb: 8, diskCacheGb: 32 }, model: m })
    expect(r.capacities).toEqual({ device_tokens: null, host_tokens: Math.floor(8e9 / 131072), disk_tokens: Math.floor(32e9 / 131072), disk_min_prior_uses: 1 })
    expect(tierCapacitiesFor({ mode: { id: 'B1' }, model: m, deviceTokens: 32768 }).capacities).toMatchObject({ device_tokens: 32768, disk_tokens: 0 })
  })

  test('a driver\'s effective capacities map one for one, unknown staying null', () => {
    const e = { block_tokens: 32, kv_bytes_per_token: 131072, device_kv_tokens: 700_000, host_tier_tokens: null, disk_tier_tokens: 3e7, source: { device_kv_tokens: 'engine-log', host_tier_tokens: 'unknown', disk_tier_tokens: 'configured' } } as const
    expect(capacitiesFromEffective(e, 'B2')).toEqual({ device_tokens: 700_000, host_tokens: null, disk_tokens: 3e7, disk_min_prior_uses: 2 })
  })

  test('effective tiers replace the configured capacities where known, keep them where unknown, and a given device size wins', () => {
    const m = config.models['llama31-8b-fp8']
    const base = tierCapacitiesFor({ mode: { id: 'B2', cpuCacheGb: 8, diskCacheGb: 32 }, model: m, deviceTokens: 32768 })
    const e = { block_tokens: 32, kv_bytes_per_token: 131072, device_kv_tokens: 700_000, host_tier_tokens: null, disk_tier_tokens: 3e7, source: { device_kv_tokens: 'engine-log', host_tier_tokens: 'unknown', disk_tier_tokens: 'configured' } } as const
    const r = withEffectiveTiers(base, e, 'B2')
    expect(r.capacities).toEqual({ device_tokens: 700_000, host_tokens: Math.floor(8e9 / 131072), disk_tokens: 3e7, disk_min_prior_uses: 2 })
    expect(r.source).toMatch(/device engine-log, host from config, disk configured/)
    expect(withEffectiveTiers(base, e, 'B2', true).capacities.device_tokens).toBe(32768)
  })
})
