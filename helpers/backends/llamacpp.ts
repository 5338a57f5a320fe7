import type { KvModeId } from '../config/kv-mode'
import type { PromParseResult } from '../telemetry/prometheus-parser'
import type { TierPlan } from '../tiers/tier-plan'
import { emptyTierCounters, type TierCounters } from './tier-counters'
import type { BackendLaunchConfig, ModeSupport, ModeVerificationSpec, TieringBackend } from './tiering-backend'

// llama.cpp's llama-server: each slot keeps its own prompt KV (device prefix reuse, always on with
// `cache_prompt`), and `--cache-ram MiB` adds a host-RAM prompt cache of idle slots (B1). There is
// no disk tier an engine fills by itself (slot save/restore is manual), so B2, B2' and B3 are not
// applicable. Its /metrics exports llamacpp:* counters; the cached-token counter has no split by
// source, so it maps to cached_prompt_tokens_total only.

/** Host prompt cache size for B1 when the plan does not give one, MiB (llama-server's own default). */
export const LLAMACPP_DEFAULT_CACHE_RAM_MIB = 8192

/** Counters llama-server exports with --metrics (checked on b10573+). */
export const LLAMACPP_METRIC_NAMES = [
  'llamacpp:prompt_tokens_total',
  'llamacpp:prompt_tokens_cached_total',
  'llamacpp:tokens_predicted_total',
  'llamacpp:requests_processing',
  'llamacpp:requests_deferred',
] as const

const counter = (scrape: PromParseResult, name: string): number | null => {
  const f = scrape.families.get(name)
  if (!f || f.samples.length === 0) return null
  return f.samples.reduce((s, x) => s + x.value, 0)
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null)

/** `--cache-ram` MiB for a mode: 0 turns the host prompt cache off (B0). */
export const llamacppCacheRamMib = (mode: KvModeId, plan: TierPlan): number =>
  mode === 'B1' ? (plan.host_tier_bytes > 0 ? Math.max(1, Math.round(plan.host_tier_bytes / 2 ** 20)) : LLAMACPP_DEFAULT_CACHE_RAM_MIB) : 0

export const llamacppBackend: TieringBackend = {
  name: 'llamacpp',
  engines: ['llamacpp'],
  support(mode): ModeSupport {
    if (mode === 'B0' || mode === 'B1') return { supported: true }
    return { supported: false, reason: `llama-server has no engine-managed disk KV tier (slot save/restore is manual), so ${mode} cannot run` }
  },
  configure(mode, plan): BackendLaunchConfig {
    const s = llamacppBackend.support(mode)
    if (!s.supported) throw new Error(`Expected a mode llama.cpp supports (B0, B1), got ${mode}: ${s.reason}`)
    return { env: {}, args: ['--cache-ram', String(llamacppCacheRamMib(mode, plan)), '--metrics'], kvTransferConfig: null, engineYaml: null, files: [] }
  },
  verification(): ModeVerificationSpec {
    return { requiredMetricFamilies: [...LLAMACPP_METRIC_NAMES], diskDirHeldOpen: false, oDirect: null }
  },
  normalise(scrape) {
    const c: TierCounters = emptyTierCounters()
    c.cached_prompt_tokens_total = counter(scrape, 'llamacpp:prompt_tokens_cached_total')
    return c
  },
  requestCachedTokens(ev) {
    const timings = ev.timings as Record<string, unknown> | undefined
    const usage = ev.usage as { prompt_tokens_details?: { cached_tokens?: unknown } } | undefined
    return num(timings?.cache_n) ?? num(usage?.prompt_tokens_details?.cached_tokens)
  },
}
