import type { KvModeId } from '../config/kv-mode'
import type { PromParseResult } from '../telemetry/prometheus-parser'
import type { TierPlan } from '../tiers/tier-plan'
import { type BackendOptions, defineBackend, emptyLaunch, gib, openAiCachedTokens, supported, unsupported } from './define-backend'
import { perToken, scaled, sumSeries } from './prom-series'
import { type TierCounters, emptyTierCounters } from './tier-counters'
import type { BackendLaunchConfig, ModeVerificationSpec, TieringBackend } from './tiering-backend'
import { VLLM_BASE_ARGS, vllmDeviceArgs } from './vllm-offload'

// LMCache under vLLM (reference tiering-backends.md §4), two variants:
// - v1: the in-process LMCacheConnectorV1. Config goes in kv_connector_extra_config as `lmcache.<key>`
//   (which overrides LMCACHE_* env and LMCACHE_CONFIG_FILE, §4.1); local disk with use_odirect so
//   the page cache cannot pose as the disk. Its metrics (through vLLM's /metrics, which needs a
//   shared PROMETHEUS_MULTIPROC_DIR) have NO host-vs-disk split: disk evidence comes from the OS.
// - mp: an `lmcache server` sidecar plus LMCacheMPConnector; L1 (host) and L2 (fs_native disk)
//   counters are separate (lmcache_mp_*, chunks).
// Neither has a reuse-count admission filter, so B2' is not supported.
// Sizes are GiB (max_local_cpu_size/max_local_disk_size × 1024³, --l1-size-gb × 2³⁰ in LMCache's source).
// Newer LMCache renamed the v1 counters (num_stored_tokens → num_store_stored_tokens, num_hit_tokens →
// num_retrieve_retrieved_tokens) and added *_by_backend{backend=LocalCPUBackend|LocalDiskBackend}
// splits: both spellings are read, and the split, where exported, gives host and disk hits.

export const LMCACHE_CHUNK_TOKENS = 256
export const LMCACHE_MP_PORT = 5555

export interface LmcacheOptions extends BackendOptions {
  /** @default 'v1' */
  variant?: 'v1' | 'mp'
  /** LMCache chunk size in tokens. @default 256 */
  chunkTokens?: number
}

const NO_FILTER = "LMCache has no reuse-count admission filter to switch off: stores go to every enabled tier, so B2' would repeat B2"

export const createLmcacheBackend = (opts: LmcacheOptions = {}): TieringBackend => {
  const variant = opts.variant ?? 'v1'
  const chunk = opts.chunkTokens ?? LMCACHE_CHUNK_TOKENS
  const bpt = opts.kvBytesPerToken ?? null

  const buildV1 = (mode: KvModeId, plan: TierPlan, ctx: { cacheDir: string }, out: BackendLaunchConfig) => {
    const cfg: Record<string, unknown> = { chunk_size: chunk, local_cpu: mode !== 'B3' }
    if (plan.host_tier_bytes > 0) cfg.max_local_cpu_size = Number(gib(plan.host_tier_bytes))
    if (mode === 'B2' || mode === 'B3') {
      cfg.local_disk = `file://${ctx.cacheDir}/`
      cfg.max_local_disk_size = Number(gib(plan.disk_tier_bytes))
      cfg.extra_config = { use_odirect: true }
    }
    out.kvTransferConfig = {
      kv_connector: 'LMCacheConnectorV1',
      kv_role: 'kv_both',
      kv_connector_extra_config: Object.fromEntries(Object.entries(cfg).map(([k, v]) => [`lmcache.${k}`, v])),
    }
    // The same settings as a YAML file, for a server the user starts by hand (LMCACHE_CONFIG_FILE).
    out.files.push({ name: `lmcache-${mode}.yaml`, content: Object.entries(cfg).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n') + '\n' })
    // A stray user config file must not add a tier the mode does not have.
    out.env.LMCACHE_CONFIG_FILE = undefined
    out.env.LMCACHE_LOCAL_DISK = undefined
    out.env.LMCACHE_LOCAL_CPU = undefined
    // vLLM's API process and EngineCore must share it, or lmcache:* vanish from /metrics (§4.3).
    out.env.PROMETHEUS_MULTIPROC_DIR = `${ctx.cacheDir}.prom`
  }

  const buildMp = (mode: KvModeId, plan: TierPlan, ctx: { cacheDir: string; metricsPort: number | null }, out: BackendLaunchConfig) => {
    // B3 keeps a small L1 as the write buffer: the plan's host bytes, else 1 GiB.
    const l1 = plan.host_tier_bytes > 0 ? gib(plan.host_tier_bytes) : '1'
    const cmd = ['lmcache', 'server', '--host', '127.0.0.1', '--port', String(LMCACHE_MP_PORT), '--chunk-size', String(chunk), '--l1-size-gb', l1]
    if (mode === 'B2' || mode === 'B3') {
      const adapter = { type: 'fs_native', base_path: ctx.cacheDir, use_odirect: true, max_capacity_gb: Number(gib(plan.disk_tier_bytes)) }
      cmd.push('--l2-adapter', JSON.stringify(adapter), '--l2-store-policy', mode === 'B3' ? 'skip_l1' : 'default')
    }
    // Required by `lmcache server` (argparse required=True, LRU|IsolatedLRU|noop): without it the
    // sidecar exits before it listens. B3's L1 is a write buffer only (noop).
    cmd.push('--eviction-policy', mode === 'B3' ? 'noop' : 'LRU')
    if (ctx.metricsPort !== null) cmd.push('--prometheus-port', String(ctx.metricsPort))
    out.sidecars = [{ name: 'lmcache-server', command: cmd, env: {} }]
    out.kvTransferConfig = { kv_connector: 'LMCacheMPConnector', kv_role: 'kv_both' }
  }

  const build = (mode: KvModeId, plan: TierPlan, ctx: { cacheDir: string; metricsPort: number | null }): BackendLaunchConfig => {
    const out = emptyLaunch()
    out.args = [...VLLM_BASE_ARGS, ...vllmDeviceArgs(plan, opts.blockTokens)]
    if (mode === 'B0') return out
    if (variant === 'v1') buildV1(mode, plan, ctx, out)
    else buildMp(mode, plan, ctx, out)
    return out
  }

  const verification = (mode: KvModeId): ModeVerificationSpec => {
    const disk = mode === 'B2' || mode === 'B3'
    const families =
      mode === 'B0'
        ? []
        : variant === 'v1'
          ? // Unchanged across the rename; the store/hit counters are read under either spelling.
            ['lmcache:num_vllm_hit_tokens_total']
          : ['lmcache_mp_lookup_hit_tokens_total', 'lmcache_mp_l1_write_chunks_total', ...(disk ? ['lmcache_mp_l2_store_completed_requests_total'] : [])]
    // LMCache opens a chunk file per read/write and closes it: nothing is held open between requests.
    return { requiredMetricFamilies: families, diskDirHeldOpen: disk ? null : false, oDirect: disk ? true : null }
  }

  const normaliseV1 = (scrape: PromParseResult, c: TierCounters) => {
    // Stores go to every enabled tier; with local_cpu the first stop is host RAM (in B3 a staging buffer).
    c.offload_device_to_host_tokens = sumSeries(scrape, 'lmcache:num_stored_tokens_total') ?? sumSeries(scrape, 'lmcache:num_store_stored_tokens_total')
    // Newer builds split stores and retrievals by storage backend; older ones have no split at all
    // (then disk evidence comes from the OS). Local-disk byte counters are kept for builds that have them [U].
    const byBackend = (n: string, backend: string) => sumSeries(scrape, n, (l) => l.backend === backend)
    c.offload_host_to_disk_tokens =
      byBackend('lmcache:num_store_stored_tokens_by_backend_total', 'LocalDiskBackend') ?? perToken(sumSeries(scrape, 'lmcache:local_disk_write_bytes_total'), bpt)
    c.onboard_disk_to_device_tokens =
      byBackend('lmcache:num_retrieve_retrieved_tokens_by_backend_total', 'LocalDiskBackend') ?? perToken(sumSeries(scrape, 'lmcache:local_disk_read_bytes_total'), bpt)
    c.onboard_host_to_device_tokens = byBackend('lmcache:num_retrieve_retrieved_tokens_by_backend_total', 'LocalCPUBackend')
    // LMCache runs inside vLLM: its /metrics also has vLLM's own prefix-cache counters (B0 has only those).
    c.cached_prompt_tokens_device = sumSeries(scrape, 'lmcache:num_vllm_hit_tokens_total') ?? sumSeries(scrape, 'vllm:prefix_cache_hits_total')
    c.cached_prompt_tokens_offloaded = sumSeries(scrape, 'lmcache:num_hit_tokens_total') ?? sumSeries(scrape, 'lmcache:num_retrieve_retrieved_tokens_total')
    const d = c.cached_prompt_tokens_device
    const o = c.cached_prompt_tokens_offloaded
    c.cached_prompt_tokens_total = d === null || o === null ? null : d + o
  }

  const normaliseMp = (scrape: PromParseResult, c: TierCounters) => {
    const chunks = (n: string) => scaled(sumSeries(scrape, n), chunk)
    const diskLoad = chunks('lmcache_mp_l2_prefetch_load_completed_chunks_total') ?? chunks('lmcache_mp_num_chunks_loaded_total')
    const l1Write = chunks('lmcache_mp_l1_write_chunks_total')
    const l1Read = chunks('lmcache_mp_l1_read_chunks_total')
    // L2 prefetches land in L1 (a write) and then go to the GPU (an L1 read): take them out of the host figures.
    c.offload_device_to_host_tokens = l1Write === null ? null : Math.max(0, l1Write - (diskLoad ?? 0))
    c.offload_host_to_disk_tokens = chunks('lmcache_mp_l2_store_completed_objects_chunks_total')
    c.onboard_disk_to_device_tokens = diskLoad
    c.onboard_host_to_device_tokens = l1Read === null ? null : Math.max(0, l1Read - (diskLoad ?? 0))
    c.cached_prompt_tokens_offloaded = sumSeries(scrape, 'lmcache_mp_lookup_hit_tokens_total')
    c.cached_prompt_tokens_disk = diskLoad
  }

  const normalise = (scrape: PromParseResult): TierCounters => {
    const c = emptyTierCounters()
    const mp = [...scrape.families.keys()].some((n) => n.startsWith('lmcache_mp_'))
    if (mp) normaliseMp(scrape, c)
    else normaliseV1(scrape, c)
    return c
  }

  return defineBackend({
    name: 'lmcache',
    engines: ['vllm', 'kvsim'],
    modes: {
      B0: supported(),
      B1: supported(variant === 'v1' ? 'max_local_cpu_size is per TP rank: the plan is read as one rank' : undefined),
      B2: supported(variant === 'v1' ? 'no host-vs-disk hit counters: disk reads are proven by the OS (device reads of the engine, O_DIRECT)' : undefined),
      B2p: unsupported(NO_FILTER),
      B3: supported(variant === 'v1' ? 'local_cpu false still stages through CPU memory [U]' : 'L1 is a write buffer only (skip_l1 + noop eviction) [I]'),
    },
    build,
    verification,
    normalise,
    requestCachedTokens: openAiCachedTokens,
  })
}
