import { KVBM_ENV_NAMES, kvModeEnv, kvModeHasDiskTier, kvModeHasHostTier, kvModeUsesKvbm, type KvMode } from '../config/kv-mode'
import { BACKEND_FACTORIES, createBackend } from '../backends/backend-registry'
import type { BackendName, TieringBackend } from '../backends/tiering-backend'
import type { TierPlan } from '../tiers/tier-plan'
import type { DynamoBackendName, DynamoConfig, DynamoEngineKind } from './dynamo-config'
import { DynamoTargetError } from './dynamo-error'
import type { DynamoCliGeneration } from './dynamo-version'

// What one worker start needs from its tiering backend: env, extra flags, an engine-YAML fragment
// (TRT-LLM) and extra files. KVBM is Dynamo's own layer, so its launch is built here from the
// runbook's DYN_KVBM_* set; every other backend comes from its TieringBackend (helpers/backends/*,
// engineer #14) through a lookup by name. A pair Dynamo cannot run fails here, before anything
// is stopped or started (MODE_UNSUPPORTED).

/** The tiering backends Dynamo runs per engine (reference: tiering-backends.md §9, dynamo-kvbm.md §8). */
export const DYNAMO_ENGINE_BACKENDS: Record<DynamoEngineKind, readonly DynamoBackendName[]> = {
  trtllm: ['kvbm', 'trtllm-native'],
  vllm: ['kvbm', 'lmcache', 'vllm-offload'],
  sglang: ['sglang-hicache'],
}

export const DEFAULT_ENGINE_BACKEND: Record<DynamoEngineKind, DynamoBackendName> = {
  trtllm: 'kvbm',
  vllm: 'kvbm',
  sglang: 'sglang-hicache',
}

/** Finds a backend by name; null when this build does not have it. */
export type BackendLookup = (name: BackendName) => TieringBackend | null

/** No non-KVBM backend (tests that pin KVBM-only behaviour). */
export const noBackends: BackendLookup = () => null

/** The registered backends (helpers/backends/backend-registry.ts), built for this engine and block size. */
export const registryBackends = (config: DynamoConfig): BackendLookup => {
  const engine = config.worker.engine
  return (name) =>
    name in BACKEND_FACTORIES
      ? createBackend(name, {
          engine: engine === 'sglang' ? undefined : engine,
          // LMCache's MP variant needs a sidecar server the driver does not start (yet): v1, in-process.
          variant: 'v1',
          blockTokens: engine === 'trtllm' ? config.engine.tokens_per_block : undefined,
        })
      : null
}

/** Flags of `vllm serve`'s OpenAI server that dynamo.vllm (engine args only) does not take; Dynamo's frontend reports usage itself. */
const NOT_FOR_DYNAMO_VLLM = new Set(['--enable-prompt-tokens-details'])

export interface WorkerLaunch {
  /** null in B0 (no tiering layer). */
  backend: DynamoBackendName | null
  env: Record<string, string | undefined>
  args: string[]
  /** Merged into the TRT-LLM engine YAML. */
  engineYaml: Record<string, unknown> | null
  files: { name: string; content: string }[]
}

/** KVBM's vLLM connector (kvbm wheel), for `--kv-transfer-config` on Dynamo 1.x (`--connector` is deprecated for vLLM there). */
export const KVBM_VLLM_KV_TRANSFER_CONFIG = {
  kv_connector: 'DynamoConnector',
  kv_role: 'kv_both',
  kv_connector_module_path: 'kvbm.vllm_integration.connector',
} as const

export const KVBM_TRTLLM_CONNECTOR = {
  connector_module: 'kvbm.trtllm_integration.connector',
  connector_scheduler_class: 'DynamoKVBMConnectorLeader',
  connector_worker_class: 'DynamoKVBMConnectorWorker',
} as const

/** Every variable a worker env must control even when the mode leaves it unset. */
export const KVBM_CONTROLLED_ENV = [...KVBM_ENV_NAMES, 'DYN_KVBM_LEADER_WORKER_INIT_TIMEOUT_SECS', 'DYN_KVBM_DISK_DISABLE_O_DIRECT'] as const

const unsetKvbm = (): Record<string, undefined> => Object.fromEntries(KVBM_CONTROLLED_ENV.map((k) => [k, undefined]))

/** The mode with sizes: a tier plan (from the suite, per phase) wins over `tiers.<mode>` in the config. */
export const modeWithSizes = (config: DynamoConfig, mode: KvMode, plan: TierPlan | null = null): KvMode => {
  const t = config.tiers[mode.id] ?? {}
  const fromPlan = (bytes: number | undefined) => (bytes && bytes > 0 ? bytes / 1e9 : undefined)
  return {
    ...mode,
    cpuCacheGb: fromPlan(plan?.host_tier_bytes) ?? mode.cpuCacheGb ?? t.cpu_cache_gb,
    diskCacheGb: fromPlan(plan?.disk_tier_bytes) ?? mode.diskCacheGb ?? t.disk_cache_gb,
    cpuCacheOverrideNumBlocks: mode.cpuCacheOverrideNumBlocks ?? t.cpu_cache_override_num_blocks,
    diskCacheOverrideNumBlocks: mode.diskCacheOverrideNumBlocks ?? t.disk_cache_override_num_blocks,
  }
}

/** The tier plan a mode gets when the suite passes none: the config's sizes in bytes (GB = 1e9 bytes). */
export const tierPlanFromConfig = (config: DynamoConfig, mode: KvMode): TierPlan => {
  const m = modeWithSizes(config, mode)
  const host = kvModeHasHostTier(mode.id) ? (m.cpuCacheGb ?? 8) : 0
  const disk = kvModeHasDiskTier(mode.id) ? (m.diskCacheGb ?? 32) : 0
  return { device_kv_tokens: null, host_tier_bytes: Math.round(host * 1e9), disk_tier_bytes: Math.round(disk * 1e9), eviction_policy: m.evictionPolicy ?? 'lru' }
}

const kvbmLaunch = (config: DynamoConfig, generation: DynamoCliGeneration, mode: KvMode, plan: TierPlan | null): WorkerLaunch => {
  const sized = modeWithSizes(config, mode, plan)
  const env: Record<string, string | undefined> = {
    ...unsetKvbm(),
    ...kvModeEnv(sized, { cacheDir: config.cache_dir, metricsPort: config.ports.kvbm_metrics }),
    DYN_KVBM_LEADER_WORKER_INIT_TIMEOUT_SECS: String(config.timeouts.leader_worker_init_s),
    // Read by presence (`env::var(..).is_ok()`): set to 1 to disable O_DIRECT, otherwise unset, never `false`.
    DYN_KVBM_DISK_DISABLE_O_DIRECT: kvModeHasDiskTier(mode.id) && !config.kvbm_disk_o_direct ? '1' : undefined,
  }
  const engine = config.worker.engine
  const args =
    engine === 'vllm'
      ? generation === 'discovery-backend'
        ? ['--kv-transfer-config', JSON.stringify(KVBM_VLLM_KV_TRANSFER_CONFIG)]
        : ['--connector', 'kvbm']
      : []
  return { backend: 'kvbm', env, args, engineYaml: engine === 'trtllm' ? { kv_connector_config: { ...KVBM_TRTLLM_CONNECTOR } } : null, files: [] }
}

/** The launch with no tiering layer (B0): every DYN_KVBM_* explicitly unset. */
export const b0Launch = (config: DynamoConfig, generation: DynamoCliGeneration): WorkerLaunch => ({
  backend: null,
  env: unsetKvbm(),
  // 0.x dynamo.vllm attached a connector by default; `none` keeps B0 free of any KV connector.
  args: config.worker.engine === 'vllm' && generation === 'store-kv' ? ['--connector', 'none'] : [],
  engineYaml: null,
  files: [],
})

export const backendFor = (config: DynamoConfig): DynamoBackendName => config.worker.backend ?? DEFAULT_ENGINE_BACKEND[config.worker.engine]

/** Throws MODE_UNSUPPORTED when the engine/backend pair or the mode cannot run; returns the backend for B1..B3. */
export const checkModeSupported = (config: DynamoConfig, mode: KvMode, lookup: BackendLookup): DynamoBackendName | null => {
  if (!kvModeUsesKvbm(mode.id)) return null
  const engine = config.worker.engine
  const name = backendFor(config)
  if (!DYNAMO_ENGINE_BACKENDS[engine].includes(name))
    throw new DynamoTargetError(
      'MODE_UNSUPPORTED',
      `Expected a tiering backend Dynamo runs with dynamo.${engine} (${DYNAMO_ENGINE_BACKENDS[engine].join(', ')}), got ${name} for mode ${mode.id}`,
      { mode: mode.id, engine, backend: name },
    )
  if (name === 'kvbm') return name
  const backend = lookup(name)
  if (!backend)
    throw new DynamoTargetError(
      'MODE_UNSUPPORTED',
      `Expected the ${name} backend's configuration (helpers/backends/${name}.ts) in this build for mode ${mode.id}, got none`,
      { mode: mode.id, engine, backend: name },
    )
  if (!backend.engines.includes(engine))
    throw new DynamoTargetError('MODE_UNSUPPORTED', `Expected ${name} to run with ${engine}, got engines ${backend.engines.join(', ')}`, { mode: mode.id, engine, backend: name })
  const s = backend.support(mode.id)
  if (!s.supported)
    throw new DynamoTargetError('MODE_UNSUPPORTED', `Expected ${name} on dynamo.${engine} to run mode ${mode.id}, got: ${s.reason}`, { mode: mode.id, engine, backend: name })
  return name
}

/** The worker launch for a mode (and an optional per-phase tier plan). */
export const workerLaunch = (
  config: DynamoConfig,
  generation: DynamoCliGeneration,
  mode: KvMode,
  opts: { lookup: BackendLookup; tierPlan?: TierPlan | null },
): WorkerLaunch => {
  const checked = checkModeSupported(config, mode, opts.lookup)
  if (checked === 'kvbm') return kvbmLaunch(config, generation, mode, opts.tierPlan ?? null)
  // B0 on a non-KVBM backend still takes its base flags (metrics, cache report) so B0 and B1.. differ only in the tiers.
  const name = checked ?? (backendFor(config) !== 'kvbm' && DYNAMO_ENGINE_BACKENDS[config.worker.engine].includes(backendFor(config)) ? backendFor(config) : null)
  const backend = name ? opts.lookup(name) : null
  if (name === null || !backend || (checked === null && !backend.support(mode.id).supported)) return b0Launch(config, generation)
  const plan = opts.tierPlan ?? tierPlanFromConfig(config, mode)
  let cfg
  try {
    cfg = backend.configure(mode.id, plan, { cacheDir: config.cache_dir, metricsPort: config.ports.system })
  } catch (err) {
    throw new DynamoTargetError('MODE_UNSUPPORTED', `Expected ${name} to configure mode ${mode.id}, got: ${(err as Error).message}`, { mode: mode.id, backend: name })
  }
  if (cfg.sidecars && cfg.sidecars.length > 0)
    throw new DynamoTargetError('MODE_UNSUPPORTED', `Expected no sidecar process for ${name} under Dynamo (not started by this driver yet), got ${cfg.sidecars.map((x) => x.name).join(', ')}`, { mode: mode.id })
  const args = config.worker.engine === 'vllm' ? cfg.args.filter((a) => !NOT_FOR_DYNAMO_VLLM.has(a)) : [...cfg.args]
  if (cfg.kvTransferConfig) {
    if (config.worker.engine !== 'vllm')
      throw new DynamoTargetError('MODE_UNSUPPORTED', `Expected a kv-transfer-config only for dynamo.vllm, got one from ${name} for dynamo.${config.worker.engine}`, { mode: mode.id })
    args.push('--kv-transfer-config', JSON.stringify(cfg.kvTransferConfig))
  }
  if (cfg.engineYaml && config.worker.engine !== 'trtllm')
    throw new DynamoTargetError('MODE_UNSUPPORTED', `Expected an engine YAML fragment only for dynamo.trtllm, got one from ${name} for dynamo.${config.worker.engine}`, { mode: mode.id })
  return { backend: checked === null ? null : name, env: { ...unsetKvbm(), ...cfg.env }, args, engineYaml: cfg.engineYaml, files: cfg.files }
}
