import { describe, expect, test } from 'vitest'
import { LLAMACPP_DEFAULT_CACHE_RAM_MIB, llamacppBackend } from '../../../helpers/backends/llamacpp'
import { parsePrometheusText } from '../../../helpers/telemetry/prometheus-parser'
import { TierPlan } from '../../../helpers/tiers/tier-plan'

// A scrape as llama-server b10573 exports it (--metrics).
const SCRAPE = `# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed, excluding cached tokens
# TYPE llamacpp:prompt_tokens_total counter
llamacpp:prompt_tokens_total 26
# HELP llamacpp:prompt_tokens_cached_total Number of prompt tokens reused from the cache
# TYPE llamacpp:prompt_tokens_cached_total counter
llamacpp:prompt_tokens_cached_total 22
# TYPE llamacpp:tokens_predicted_total counter
llamacpp:tokens_predicted_total 8
`

describe('llamacpp backend', () => {
  test('runs B0 and B1 and says why B2, B2p and B3 are not applicable', () => {
    expect(llamacppBackend.support('B0')).toEqual({ supported: true })
    expect(llamacppBackend.support('B1')).toEqual({ supported: true })
    for (const m of ['B2', 'B2p', 'B3'] as const) expect(llamacppBackend.support(m)).toMatchObject({ supported: false, reason: expect.stringMatching(/disk/) })
    expect(() => llamacppBackend.configure('B2', TierPlan.parse({}), { cacheDir: '', metricsPort: null })).toThrow(/B2/)
  })

  test('B0 turns the host prompt cache off; B1 sizes it from the plan, else llama-server default', () => {
    const ctx = { cacheDir: '', metricsPort: null }
    expect(llamacppBackend.configure('B0', TierPlan.parse({}), ctx).args).toEqual(['--cache-ram', '0', '--metrics'])
    expect(llamacppBackend.configure('B1', TierPlan.parse({ host_tier_bytes: 256 * 2 ** 20 }), ctx).args).toEqual(['--cache-ram', '256', '--metrics'])
    expect(llamacppBackend.configure('B1', TierPlan.parse({}), ctx).args).toEqual(['--cache-ram', String(LLAMACPP_DEFAULT_CACHE_RAM_MIB), '--metrics'])
  })

  test('normalises llamacpp:prompt_tokens_cached_total to cached tokens and leaves what it lacks null, never 0', () => {
    const c = llamacppBackend.normalise(parsePrometheusText(SCRAPE))
    expect(c.cached_prompt_tokens_total).toBe(22)
    expect(c.onboard_host_to_device_tokens).toBeNull()
    expect(c.offload_host_to_disk_tokens).toBeNull()
    expect(llamacppBackend.normalise(parsePrometheusText('')).cached_prompt_tokens_total).toBeNull()
  })

  test("reads a response's cached tokens from timings.cache_n, else usage, else null", () => {
    expect(llamacppBackend.requestCachedTokens({ timings: { cache_n: 1023 }, usage: { prompt_tokens_details: { cached_tokens: 5 } } })).toBe(1023)
    expect(llamacppBackend.requestCachedTokens({ usage: { prompt_tokens_details: { cached_tokens: 11 } } })).toBe(11)
    expect(llamacppBackend.requestCachedTokens({})).toBeNull()
  })
})
