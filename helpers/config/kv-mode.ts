import { z } from 'zod'

// KV modes of the canonical plan (seed 002). B2' is spelled `B2p` in ids, tags and file names
// because an apostrophe does not survive shells, tag filters or CSV headers; its label stays "B2'".
export const KvModeId = z.enum(['B0', 'B1', 'B2', 'B2p', 'B3'])
export type KvModeId = z.infer<typeof KvModeId>

export const KV_MODE_LABELS: Record<KvModeId, string> = {
  B0: 'B0',
  B1: 'B1',
  B2: 'B2',
  B2p: "B2'",
  B3: 'B3',
}

export const KV_MODE_DESCRIPTIONS: Record<KvModeId, string> = {
  B0: 'no KVBM: device (G1) prefix reuse only',
  B1: 'KVBM with the host tier (G2) only; the disk tier is forced off',
  B2: 'KVBM with host (G2) and disk (G3) tiers; disk offload filter on (frequency >= 2)',
  B2p: 'KVBM with host and disk tiers; disk offload filter disabled (first-touch disk writes)',
  B3: 'KVBM disk tier only (device -> disk directly; experimental in Dynamo)',
}

/** A KV mode with the sizes that make it concrete. Sizes in GB mirror Dynamo's env; block overrides win. */
export const KvMode = z.object({
  id: KvModeId,
  /** @default 8 for B1/B2/B2p, 0 for B0/B3 */
  cpuCacheGb: z.number().nonnegative().optional(),
  /** @default 32 for B2/B2p/B3, 0 for B0/B1 */
  diskCacheGb: z.number().nonnegative().optional(),
  cpuCacheOverrideNumBlocks: z.number().int().positive().optional(),
  diskCacheOverrideNumBlocks: z.number().int().positive().optional(),
  /** Eviction policy of the KVBM tiers (the emulator honours it; Dynamo uses LRU). @default 'lru' */
  evictionPolicy: z.enum(['lru', 'lfu']).optional(),
})
export type KvMode = z.infer<typeof KvMode>

export const kvModeUsesKvbm = (id: KvModeId): boolean => id !== 'B0'
export const kvModeHasDiskTier = (id: KvModeId): boolean => id === 'B2' || id === 'B2p' || id === 'B3'
export const kvModeHasHostTier = (id: KvModeId): boolean => id === 'B1' || id === 'B2' || id === 'B2p'

const DEFAULT_CPU_GB: Record<KvModeId, number> = { B0: 0, B1: 8, B2: 8, B2p: 8, B3: 0 }
const DEFAULT_DISK_GB: Record<KvModeId, number> = { B0: 0, B1: 0, B2: 32, B2p: 32, B3: 32 }
/** The default tier sizes per mode, for configs that spell them out. */
export const KV_MODE_DEFAULT_CPU_GB: Readonly<Record<KvModeId, number>> = DEFAULT_CPU_GB
export const KV_MODE_DEFAULT_DISK_GB: Readonly<Record<KvModeId, number>> = DEFAULT_DISK_GB

/** Every DYN_KVBM_* variable a mode may set; kvModeEnv unsets the ones a mode does not use. */
export const KVBM_ENV_NAMES = [
  'DYN_KVBM_CPU_CACHE_GB',
  'DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS',
  'DYN_KVBM_DISK_CACHE_GB',
  'DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS',
  'DYN_KVBM_DISK_CACHE_DIR',
  'DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER',
  'DYN_KVBM_METRICS',
  'DYN_KVBM_METRICS_PORT',
  'KVSIM_EVICTION_POLICY',
] as const

export interface KvModeEnvOptions {
  cacheDir: string
  metricsPort: number
}

/**
 * The environment a worker must see for a mode. Values are strings; `undefined` means "must be unset",
 * so a B1 leg can never inherit a disk tier from the caller's environment (the prior harness's hazard).
 */
export const kvModeEnv = (mode: KvMode, opts: KvModeEnvOptions): Record<string, string | undefined> => {
  const env: Record<string, string | undefined> = Object.fromEntries(KVBM_ENV_NAMES.map((n) => [n, undefined]))
  if (!kvModeUsesKvbm(mode.id)) return env
  const cpuGb = kvModeHasHostTier(mode.id) ? (mode.cpuCacheGb ?? DEFAULT_CPU_GB[mode.id]) : 0
  const diskGb = kvModeHasDiskTier(mode.id) ? (mode.diskCacheGb ?? DEFAULT_DISK_GB[mode.id]) : 0
  env.DYN_KVBM_CPU_CACHE_GB = String(cpuGb)
  env.DYN_KVBM_DISK_CACHE_GB = String(diskGb)
  if (kvModeHasHostTier(mode.id) && mode.cpuCacheOverrideNumBlocks !== undefined)
    env.DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS = String(mode.cpuCacheOverrideNumBlocks)
  if (kvModeHasDiskTier(mode.id)) {
    env.DYN_KVBM_DISK_CACHE_DIR = opts.cacheDir
    if (mode.diskCacheOverrideNumBlocks !== undefined)
      env.DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS = String(mode.diskCacheOverrideNumBlocks)
  }
  if (mode.id === 'B2p') env.DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER = 'true'
  env.DYN_KVBM_METRICS = 'true'
  env.DYN_KVBM_METRICS_PORT = String(opts.metricsPort)
  if (mode.evictionPolicy) env.KVSIM_EVICTION_POLICY = mode.evictionPolicy
  return env
}

/** Infers the mode a worker runs in from its environment (what kvsim and the mode verifier use). */
export const kvModeFromEnv = (env: Record<string, string | undefined>): KvModeId => {
  const num = (name: string) => Number(env[name] ?? 0) || 0
  const cpu = num('DYN_KVBM_CPU_CACHE_GB') > 0 || num('DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS') > 0
  const disk = num('DYN_KVBM_DISK_CACHE_GB') > 0 || num('DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS') > 0
  if (!cpu && !disk) return 'B0'
  if (cpu && !disk) return 'B1'
  if (!cpu && disk) return 'B3'
  return /^(1|true)$/i.test(env.DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER ?? '') ? 'B2p' : 'B2'
}
