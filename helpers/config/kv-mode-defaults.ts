import { z } from 'zod'
import { KV_MODE_DEFAULT_CPU_GB, KV_MODE_DEFAULT_DISK_GB, KvMode, KvModeId } from './kv-mode'

// Per-mode sizes for a run. Written in YAML with kv-mode.ts's field names (cpuCacheGb…) so the
// config and the KvMode contract never need a translation table.

export const KvModeSettings = z.strictObject(KvMode.omit({ id: true }).shape)
export type KvModeSettings = z.infer<typeof KvModeSettings>

export const KvModeDefaults = z.strictObject({
  B0: KvModeSettings.optional(),
  B1: KvModeSettings.optional(),
  B2: KvModeSettings.optional(),
  B2p: KvModeSettings.optional(),
  B3: KvModeSettings.optional(),
})
export type KvModeDefaults = z.infer<typeof KvModeDefaults>

/** Every mode with explicit sizes: the overrides, else kv-mode.ts's defaults. */
export const resolveKvModes = (overrides: KvModeDefaults = {}): Record<KvModeId, KvMode> =>
  Object.fromEntries(
    KvModeId.options.map((id) => {
      const o = overrides[id] ?? {}
      const mode: KvMode = {
        ...o,
        id,
        cpuCacheGb: o.cpuCacheGb ?? KV_MODE_DEFAULT_CPU_GB[id],
        diskCacheGb: o.diskCacheGb ?? KV_MODE_DEFAULT_DISK_GB[id],
        evictionPolicy: o.evictionPolicy ?? 'lru',
      }
      return [id, mode]
    }),
  ) as Record<KvModeId, KvMode>
