import { describe, expect, it } from 'vitest'
import { resolveKvModes } from '../../../helpers/config/kv-mode-defaults'
import type { ModelSpec } from '../../../helpers/config/model-spec'
import { EmulatorTargetConfig, ExternalTargetConfig } from '../../../helpers/config/target-config'
import { expectedTiers } from '../../../helpers/tiers/expected-tiers'
import { resolvePhaseTiers } from '../../../helpers/tiers/phase-tiers'
import { TierPlan } from '../../../helpers/tiers/tier-plan'
import { tierPlanForMode } from '../../../helpers/tiers/tier-plan-for-mode'

const fp8: ModelSpec = {
  id: 'llama31-8b-fp8',
  served_name: 'meta-llama/Llama-3.1-8B-Instruct',
  tokenizer: 'llama3',
  chat_template: 'llama3',
  max_input_tokens: 8192,
  kv_bytes_per_token: 131072,
  kv_dtype: 'bf16',
  tokens_per_block: 32,
  slo: 'mlperf-llama31-8b',
}
const BLOCK = 32 * 131072
const modes = resolveKvModes()

describe('tier plans and the capacities a target will have', () => {
  it("predicts kvsim's real device tier for 8B FP8 on GB10 (22,682 blocks) with no override", () => {
    const t = EmulatorTargetConfig.parse({ kind: 'emulator', profile: 'llama31-8b-fp8' })
    const { mode, plan } = resolvePhaseTiers(modes.B2, BLOCK)
    const e = expectedTiers(t, fp8, mode, plan)
    expect(e.device_kv_tokens).toBe(22_682 * 32)
    expect(e.host_tier_tokens).toBe(Math.floor(8e9 / BLOCK) * 32)
    expect(e.disk_tier_tokens).toBe(Math.floor(32e9 / BLOCK) * 32)
  })

  it('predicts the same device tier for a Dynamo worker (estimated) and the plan value when it sets one (configured)', () => {
    const { mode, plan } = resolvePhaseTiers(modes.B2, BLOCK)
    const d = expectedTiers({ kind: 'dynamo', dynamo: {} }, fp8, mode, plan)
    expect(d.device_kv_tokens).toBe(22_682 * 32)
    expect(d.source.device_kv_tokens).toBe('estimated')
    const capped = resolvePhaseTiers(modes.B2, BLOCK, { device_kv_tokens: 65536 })
    const c = expectedTiers({ kind: 'dynamo', dynamo: {} }, fp8, capped.mode, capped.plan)
    expect(c.device_kv_tokens).toBe(65536)
    expect(c.source.device_kv_tokens).toBe('configured')
  })

  it('takes the mode sizes as the plan defaults and rewrites only the tiers a phase overrides', () => {
    expect(tierPlanForMode(modes.B1, BLOCK)).toEqual(TierPlan.parse({ host_tier_bytes: 8e9, disk_tier_bytes: 0 }))
    expect(() => tierPlanForMode(modes.B1, BLOCK, { disk_tier_bytes: 1 })).toThrow(/Expected no disk_tier_bytes for mode B1/)
    const r = resolvePhaseTiers(modes.B2, BLOCK, { disk_tier_bytes: 100 * BLOCK, eviction_policy: 'lfu' })
    expect(r.mode).toMatchObject({ id: 'B2', cpuCacheGb: 8, diskCacheOverrideNumBlocks: 100, evictionPolicy: 'lfu' })
    expect(r.mode.cpuCacheOverrideNumBlocks).toBeUndefined()
  })

  it('knows nothing about an external server that declares nothing', () => {
    const { mode, plan } = resolvePhaseTiers(modes.B2, BLOCK)
    const e = expectedTiers(ExternalTargetConfig.parse({ kind: 'external', base_url: 'http://127.0.0.1:1', model: 'm', declared_mode: 'B2' }), fp8, mode, plan)
    expect(e.device_kv_tokens).toBeNull()
    expect(e.source.device_kv_tokens).toBe('unknown')
    const declared = expectedTiers(
      ExternalTargetConfig.parse({ kind: 'external', base_url: 'http://127.0.0.1:1', model: 'm', declared_mode: 'B2', tiers: { device_kv_tokens: 4096, host_tier_tokens: 8192 } }),
      fp8, mode, plan,
    )
    expect(declared).toMatchObject({ device_kv_tokens: 4096, host_tier_tokens: 8192, disk_tier_tokens: null })
    expect(declared.source).toEqual({ device_kv_tokens: 'declared', host_tier_tokens: 'declared', disk_tier_tokens: 'unknown' })
  })
})
