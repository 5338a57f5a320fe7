import type { KvModeId } from '../config/kv-mode'
import type { PromParseResult } from '../telemetry/prometheus-parser'
import type { TierPlan } from '../tiers/tier-plan'
import { BackendConfigError, type BackendOptions, defineBackend, emptyLaunch, openAiCachedTokens, supported, unsupported } from './define-backend'
import { type LabelFilter, perToken, sumSeries } from './prom-series'
import { type TierCounters, emptyTierCounters } from './tier-counters'
import type { BackendLaunchConfig, ModeVerificationSpec, TieringBackend } from './tiering-backend'

// vLLM's native OffloadingConnector (reference tiering-backends.md §3): B1 = CPUOffloadingSpec,
// B2 = TieringOffloadingSpec with an fs secondary tier (write-through cascade: every block stored
// to CPU is also written to fs). The fs tier has no admission filter, so B2' is B2 (not supported
// here, to keep B2 vs B2' comparisons honest), and no GPU→disk path exists upstream (B3 not
// supported). Counters are bytes: tokens need the model's KV bytes per token. The tiering series
// appear lazily (first event), so an absent series is unavailable, and disk evidence falls back to
// the OS.

/** GPU prefix caching and per-request cached tokens, in every mode. */
export const VLLM_BASE_ARGS = ['--enable-prefix-caching', '--enable-prompt-tokens-details']
export const VLLM_FS_IO_THREADS = 16
/** vLLM's default GPU block size in tokens (--block-size). */
export const VLLM_DEFAULT_BLOCK_TOKENS = 16

/** The device-tier size of a plan as vLLM flags: whole GPU blocks (--num-gpu-blocks-override). */
export const vllmDeviceArgs = (plan: TierPlan, blockTokens: number | null | undefined): string[] =>
  plan.device_kv_tokens === null ? [] : ['--num-gpu-blocks-override', String(Math.ceil(plan.device_kv_tokens / (blockTokens ?? VLLM_DEFAULT_BLOCK_TOKENS)))]

export const createVllmOffloadBackend = (opts: BackendOptions = {}): TieringBackend => {
  const bpt = opts.kvBytesPerToken ?? null

  const build = (mode: KvModeId, plan: TierPlan, ctx: { cacheDir: string }): BackendLaunchConfig => {
    const out = emptyLaunch()
    out.args = [...VLLM_BASE_ARGS, ...vllmDeviceArgs(plan, opts.blockTokens)]
    // The simple connector's switch must not leak in from the caller's environment.
    out.env.VLLM_USE_SIMPLE_KV_OFFLOAD = undefined
    if (mode === 'B0') return out
    if (plan.eviction_policy !== 'lru')
      throw new BackendConfigError(`Expected plan.eviction_policy lru on vllm-offload (OffloadingConnector offers lru | arc), got ${plan.eviction_policy}`)
    const extra: Record<string, unknown> = {
      spec_name: mode === 'B1' ? 'CPUOffloadingSpec' : 'TieringOffloadingSpec',
      cpu_bytes_to_use: plan.host_tier_bytes,
      eviction_policy: 'lru',
    }
    if (mode === 'B2') {
      extra.secondary_tiers = [{ type: 'fs', root_dir: ctx.cacheDir, n_read_threads: VLLM_FS_IO_THREADS, n_write_threads: VLLM_FS_IO_THREADS }]
      // fs block file names hash with Python's hash seed; a fixed seed keeps them stable across restarts.
      out.env.PYTHONHASHSEED = '0'
    }
    out.kvTransferConfig = { kv_connector: 'OffloadingConnector', kv_role: 'kv_both', kv_connector_extra_config: extra }
    return out
  }

  const verification = (mode: KvModeId): ModeVerificationSpec => ({
    requiredMetricFamilies: [
      'vllm:prefix_cache_queries_total',
      'vllm:prefix_cache_hits_total',
      ...(mode === 'B0' ? [] : ['vllm:external_prefix_cache_hits_total', 'vllm:kv_offload_store_bytes_total', 'vllm:kv_offload_load_bytes_total']),
    ],
    // One file per block, written to a tmp file then renamed and closed: nothing stays open (§3.2).
    diskDirHeldOpen: mode === 'B2' ? null : false,
    oDirect: mode === 'B2' ? true : null,
  })

  const secondary: LabelFilter = (l) => l.tier !== undefined && !l.tier.startsWith('0:')
  const normalise = (scrape: PromParseResult): TierCounters => {
    const store = sumSeries(scrape, 'vllm:kv_offload_store_bytes_total') ?? sumSeries(scrape, 'vllm:kv_offload_total_bytes_total', (l) => l.transfer_type === 'GPU_to_CPU')
    const load = sumSeries(scrape, 'vllm:kv_offload_load_bytes_total') ?? sumSeries(scrape, 'vllm:kv_offload_total_bytes_total', (l) => l.transfer_type === 'CPU_to_GPU')
    const diskWrite = sumSeries(scrape, 'vllm:kv_offload_tiering_write_bytes_total', secondary)
    const diskRead = sumSeries(scrape, 'vllm:kv_offload_tiering_read_bytes_total', secondary)
    const c = emptyTierCounters()
    c.offload_device_to_host_tokens = perToken(store, bpt)
    c.offload_host_to_disk_tokens = perToken(diskWrite, bpt)
    // fs→CPU promotions are then loaded CPU→GPU: load bytes include them, host-only is the rest.
    c.onboard_disk_to_device_tokens = perToken(diskRead, bpt)
    c.onboard_host_to_device_tokens = perToken(load === null ? null : Math.max(0, load - (diskRead ?? 0)), bpt)
    const bySource = (...sources: string[]) => sumSeries(scrape, 'vllm:prompt_tokens_cached_by_source_total', (l) => sources.includes(l.source ?? ''))
    c.cached_prompt_tokens_device = bySource('device') ?? sumSeries(scrape, 'vllm:prefix_cache_hits_total')
    c.cached_prompt_tokens_host = bySource('host', 'cpu')
    c.cached_prompt_tokens_disk = bySource('disk')
    c.cached_prompt_tokens_offloaded = sumSeries(scrape, 'vllm:external_prefix_cache_hits_total')
    c.cached_prompt_tokens_total = sumSeries(scrape, 'vllm:prompt_tokens_cached_total')
    return c
  }

  return defineBackend({
    name: 'vllm-offload',
    engines: ['vllm', 'kvsim'],
    modes: {
      B0: supported(),
      B1: supported(),
      B2: supported('the fs tier has no capacity limit or eviction upstream: disk_tier_bytes is not enforced, the cache dir is wiped per mode'),
      B2p: unsupported('the fs tier has no disk admission filter to switch off: B2 already writes every CPU-stored block to disk, so B2\' would repeat B2'),
      B3: unsupported('TieringOffloadingSpec requires a CPU primary tier (cpu_bytes_to_use); GPU→disk candidates (SimpleCPUOffloadConnector disk backend, FSOffloadingSpec) have unconfirmed keys'),
    },
    build,
    verification,
    normalise,
    requestCachedTokens: openAiCachedTokens,
  })
}

/** The command-line flags of a vLLM launch: the backend's args plus `--kv-transfer-config <json>`. */
export const vllmLaunchArgs = (cfg: BackendLaunchConfig): string[] =>
  cfg.kvTransferConfig ? [...cfg.args, '--kv-transfer-config', JSON.stringify(cfg.kvTransferConfig)] : [...cfg.args]
