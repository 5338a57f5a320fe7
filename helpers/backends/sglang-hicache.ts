import type { KvModeId } from '../config/kv-mode'
import type { PromParseResult } from '../telemetry/prometheus-parser'
import type { TierPlan } from '../tiers/tier-plan'
import { BackendConfigError, type BackendOptions, defineBackend, emptyLaunch, gb, sglangCachedTokens, supported } from './define-backend'
import { sumSeries } from './prom-series'
import { type TierCounters, emptyTierCounters } from './tier-counters'
import type { BackendLaunchConfig, ModeVerificationSpec, TieringBackend } from './tiering-backend'

// SGLang HiCache (reference tiering-backends.md §5): L1 device radix cache, L2 host pool
// (--enable-hierarchical-cache), L3 storage backend (`file` under SGLANG_HICACHE_FILE_BACKEND_STORAGE_DIR).
// B2 uses write_through_selective (a node must be hit twice before it is backed up: the analogue of
// KVBM's frequency filter), B2' write_through (threshold 1), B3 buffer_only host memory. Caveat:
// the selective policy also gates device→host, so B2 vs B2' changes host admission too. Counters
// are tokens; sglang:cached_tokens_total{cache_source} splits cached prompt tokens by tier.

export const SGLANG_BASE_ARGS = ['--enable-metrics', '--enable-cache-report']
export const SGLANG_FILE_DIR_ENV = 'SGLANG_HICACHE_FILE_BACKEND_STORAGE_DIR'

export const createSglangHicacheBackend = (opts: BackendOptions = {}): TieringBackend => {
  void opts
  const build = (mode: KvModeId, plan: TierPlan, ctx: { cacheDir: string }): BackendLaunchConfig => {
    const out = emptyLaunch()
    out.args = [...SGLANG_BASE_ARGS]
    if (plan.device_kv_tokens !== null) out.args.push('--max-total-tokens', String(plan.device_kv_tokens))
    out.env[SGLANG_FILE_DIR_ENV] = undefined
    if (mode === 'B0') return out
    if (plan.eviction_policy !== 'lru')
      throw new BackendConfigError(`Expected plan.eviction_policy lru on sglang-hicache (the HiCache eviction flag is not verified here), got ${plan.eviction_policy}`)
    const policy = mode === 'B2' ? 'write_through_selective' : 'write_through'
    out.args.push('--enable-hierarchical-cache', '--hicache-write-policy', policy, '--hicache-mem-layout', 'page_first')
    // B3 keeps host memory only as the staging buffer; with no host bytes planned SGLang sizes it (ratio 1.2).
    // --hicache-size is an integer count of 10^9 bytes (server_args.py type=int): a decimal such as
    // "64.425" makes SGLang exit 2, so the plan is rounded to whole GB (at least 1).
    if (plan.host_tier_bytes > 0) out.args.push('--hicache-size', String(Math.max(1, Math.round(plan.host_tier_bytes / 1e9))))
    if (mode === 'B2' || mode === 'B2p' || mode === 'B3') {
      out.args.push('--hicache-storage-backend', 'file', '--hicache-storage-prefetch-policy', 'wait_complete')
      out.env[SGLANG_FILE_DIR_ENV] = ctx.cacheDir
    }
    if (mode === 'B3') out.args.push('--hicache-host-memory-mode', 'buffer_only')
    return out
  }

  const verification = (mode: KvModeId): ModeVerificationSpec => {
    const disk = mode === 'B2' || mode === 'B2p' || mode === 'B3'
    return {
      requiredMetricFamilies: [
        'sglang:prompt_tokens_total',
        'sglang:cached_tokens_total',
        ...(mode === 'B0' ? [] : ['sglang:hicache_host_used_tokens']),
        ...(disk ? ['sglang:backuped_tokens_total'] : []),
      ],
      // The file backend writes one file per page and closes it; it is buffered unless direct_io is set (§5.1).
      diskDirHeldOpen: disk ? null : false,
      oDirect: disk ? false : null,
    }
  }

  const normalise = (scrape: PromParseResult): TierCounters => {
    const c = emptyTierCounters()
    const cached = (f: (src: string) => boolean) => sumSeries(scrape, 'sglang:cached_tokens_total', (l) => f(l.cache_source ?? ''))
    c.cached_prompt_tokens_device = cached((s) => s === 'device')
    c.cached_prompt_tokens_host = cached((s) => s === 'host')
    c.cached_prompt_tokens_disk = cached((s) => s.startsWith('storage'))
    c.cached_prompt_tokens_total = cached((s) => s !== 'total' && s !== '') ?? cached((s) => s === 'total')
    const h = c.cached_prompt_tokens_host
    const d = c.cached_prompt_tokens_disk
    c.cached_prompt_tokens_offloaded = h === null && d === null ? null : (h ?? 0) + (d ?? 0)
    c.offload_device_to_host_tokens = sumSeries(scrape, 'sglang:hicache_backup_tokens_total', (l) => (l.pool ?? 'kv') === 'kv')
    c.offload_host_to_disk_tokens = sumSeries(scrape, 'sglang:backuped_tokens_total')
    const prefetched = sumSeries(scrape, 'sglang:prefetched_tokens_total')
    const loadBack = sumSeries(scrape, 'sglang:load_back_tokens_total')
    // Storage prefetches land in host memory and are then loaded back to the device with the rest.
    c.onboard_disk_to_device_tokens = prefetched
    c.onboard_host_to_device_tokens = loadBack === null ? null : Math.max(0, loadBack - (prefetched ?? 0))
    return c
  }

  return defineBackend({
    name: 'sglang-hicache',
    engines: ['sglang', 'kvsim'],
    modes: {
      B0: supported(),
      B1: supported(),
      B2: supported('write_through_selective gates device→host as well as host→disk; the file backend has no capacity flag (disk_tier_bytes not enforced)'),
      B2p: supported('write_through: threshold 1 for host and disk backups'),
      B3: supported('--hicache-host-memory-mode buffer_only: host RAM is only the staging buffer [I]'),
    },
    build,
    verification,
    normalise,
    requestCachedTokens: sglangCachedTokens,
  })
}
