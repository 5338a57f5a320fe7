import { describe, expect, it } from 'vitest'
import type { EffectiveTiers } from '../../../helpers/tiers/tier-plan'
import { checkWorkingSet, spillPromptCount } from '../../../helpers/tiers/working-set'

// A Spark 8B FP8 engine: 22,682 device blocks of 32 tokens, an 8 GB host tier, a 200 GB disk tier.
const spark: EffectiveTiers = {
  block_tokens: 32,
  kv_bytes_per_token: 131072,
  device_kv_tokens: 725_824,
  host_tier_tokens: 61_024,
  disk_tier_tokens: 1_548_224,
  source: { device_kv_tokens: 'engine-log', host_tier_tokens: 'configured', disk_tier_tokens: 'configured' },
}

describe('working sets sized from effective tiers', () => {
  it('counts the distinct prompts that overflow device + host by the factor', () => {
    expect(spillPromptCount(spark, { exceeds: 'device+host', factor: 1.5, promptTokens: 2048 })).toBe(577)
    expect(spillPromptCount(spark, { exceeds: 'device', factor: 1, promptTokens: 4096 })).toBe(178)
    expect(spillPromptCount({ ...spark, device_kv_tokens: null }, { exceeds: 'device', factor: 1, promptTokens: 4096 })).toBeNull()
  })

  it('refuses the old fixed 32 x 8,192-token working set on a Spark with WORKING_SET_FITS_UPPER_TIERS', () => {
    const c = checkWorkingSet({ tokens: 32 * 8192, exceeds: 'device+host', factor: 1.2 }, spark)
    expect(c.ok).toBe(false)
    expect(c.ok ? null : c.code).toBe('WORKING_SET_FITS_UPPER_TIERS')
    expect(c.message).toMatch(/Expected a working set >= 1\.2 x device\+host = 944,218 tokens, got 262,144/)
    expect(c.message).toMatch(/device 725,824 \[engine-log\]/)
  })

  it('accepts a working set past the factor and checks that the disk tier holds it', () => {
    expect(checkWorkingSet({ tokens: 1_181_696, exceeds: 'device+host', factor: 1.2, fitsDisk: true }, spark).ok).toBe(true)
    const small = checkWorkingSet({ tokens: 1_181_696, exceeds: 'device+host', factor: 1.2, fitsDisk: true }, { ...spark, disk_tier_tokens: 244_128 })
    expect(small.ok ? null : small.code).toBe('WORKING_SET_EXCEEDS_DISK_TIER')
  })

  it('does not refute a claim when the capacities are unknown, and says so', () => {
    const c = checkWorkingSet({ tokens: 10, exceeds: 'device', factor: 1 }, { ...spark, device_kv_tokens: null })
    expect(c).toEqual({ ok: true, upper_tokens: null, message: expect.stringMatching(/capacity unknown/) })
  })
})
