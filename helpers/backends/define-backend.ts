import { KV_MODE_LABELS, type KvModeId, kvModeHasDiskTier, kvModeHasHostTier } from '../config/kv-mode'
import type { TierPlan } from '../tiers/tier-plan'
import type { BackendLaunchConfig, BackendName, ModeSupport, TieringBackend } from './tiering-backend'

// What every backend file shares: the mode-support table is data, configure() refuses an unsupported
// mode or a plan that contradicts the mode (B1 with no host bytes) with an `Expected … got …` error
// before any backend-specific code runs, and the per-request cached-token readers.

/** Construction options every backend accepts (from the model spec / effective tiers). */
export interface BackendOptions {
  /** KV bytes per token at the engine's KV dtype: turns byte counters into tokens. null = unknown (byte counters stay unavailable). */
  kvBytesPerToken?: number | null
  /** Tokens per KV block for backends that count blocks (KVBM, TRT-LLM). */
  blockTokens?: number | null
}

export class BackendConfigError extends Error {}

export const supported = (caveat?: string): ModeSupport => (caveat ? { supported: true, caveat } : { supported: true })
export const unsupported = (reason: string): ModeSupport => ({ supported: false, reason })

/** An empty launch config, for modes that change nothing (B0 on most backends). */
export const emptyLaunch = (): BackendLaunchConfig => ({ env: {}, args: [], kvTransferConfig: null, engineYaml: null, files: [] })

/** Throws unless `mode` is supported and the plan has the tiers the mode needs. */
export const checkModeAndPlan = (name: BackendName, support: ModeSupport, mode: KvModeId, plan: TierPlan, ctx: { cacheDir: string }): void => {
  if (!support.supported) throw new BackendConfigError(`Expected a mode ${name} can run, got ${KV_MODE_LABELS[mode]}: ${support.reason}`)
  if (kvModeHasHostTier(mode) && plan.host_tier_bytes <= 0)
    throw new BackendConfigError(`Expected plan.host_tier_bytes > 0 for ${KV_MODE_LABELS[mode]} on ${name} (it has a host tier), got ${plan.host_tier_bytes}`)
  if (kvModeHasDiskTier(mode) && plan.disk_tier_bytes <= 0)
    throw new BackendConfigError(`Expected plan.disk_tier_bytes > 0 for ${KV_MODE_LABELS[mode]} on ${name} (it has a disk tier), got ${plan.disk_tier_bytes}`)
  if (kvModeHasDiskTier(mode) && !ctx.cacheDir) throw new BackendConfigError(`Expected a cache dir for ${name}'s disk tier in ${KV_MODE_LABELS[mode]}, got ""`)
}

/** Builds a backend from its parts, routing configure() through checkModeAndPlan. */
export const defineBackend = (
  b: Omit<TieringBackend, 'support' | 'configure'> & {
    modes: Record<KvModeId, ModeSupport>
    build: (mode: KvModeId, plan: TierPlan, ctx: { cacheDir: string; metricsPort: number | null }) => BackendLaunchConfig
  },
): TieringBackend => {
  const { modes, build, ...rest } = b
  return {
    ...rest,
    support: (mode) => modes[mode],
    configure: (mode, plan, ctx) => {
      checkModeAndPlan(b.name, modes[mode], mode, plan, ctx)
      return build(mode, plan, ctx)
    },
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null)

/** OpenAI `usage.prompt_tokens_details.cached_tokens` (vLLM with --enable-prompt-tokens-details, SGLang with --enable-cache-report, TRT-LLM). */
export const openAiCachedTokens = (ev: Record<string, unknown>): number | null =>
  num(obj(obj(ev.usage)?.prompt_tokens_details)?.cached_tokens)

/** SGLang's native `meta_info.cached_tokens`, then the OpenAI field. */
export const sglangCachedTokens = (ev: Record<string, unknown>): number | null => openAiCachedTokens(ev) ?? num(obj(ev.meta_info)?.cached_tokens)

/** SGLang's per-tier breakdown (`sglext.cached_tokens_details`, with `return_cached_tokens_details: true`). */
export const sglangCachedTokenDetails = (ev: Record<string, unknown>): { device: number | null; host: number | null; storage: number | null } | null => {
  const d = obj(obj(ev.sglext)?.cached_tokens_details) ?? obj(obj(ev.meta_info)?.cached_tokens_details)
  return d ? { device: num(d.device), host: num(d.host), storage: num(d.storage) } : null
}

/** Bytes → GB with three decimals, for env/flags counted in GB (10^9). */
export const gb = (bytes: number): string => String(Math.round(bytes / 1e6) / 1e3)
/** Bytes → GiB with three decimals, for flags counted in GiB (vLLM --kv-offloading-size). */
export const gib = (bytes: number): string => String(Math.round((bytes / 2 ** 30) * 1e3) / 1e3)
