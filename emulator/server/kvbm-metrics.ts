import type { EngineStats, KvbmCounters } from '../engine/engine-types'

// Exactly KVBM's exposition (reference/dynamo-kvbm.md §1): fixed `kvbm_` prefix, no labels, counters
// without `_total`, HELP strings as in metrics_kvbm.rs. Object-tier families exist in Dynamo, so
// they are exposed at 0 — a harness that discovers names at runtime sees the same set.

const COUNTER_HELP: [string, string][] = [
  ['offload_blocks_d2h', 'The number of offload blocks from device to host'],
  ['offload_blocks_h2d', 'The number of offload blocks from host to disk'],
  ['offload_blocks_d2d', 'The number of offload blocks from device to disk (bypassing host memory)'],
  ['offload_blocks_d2o', 'The number of offload blocks from device to object storage'],
  ['onboard_blocks_h2d', 'The number of onboard blocks from host to device'],
  ['onboard_blocks_d2d', 'The number of onboard blocks from disk to device'],
  ['onboard_blocks_o2d', 'The number of onboard blocks from object storage to device'],
  ['offload_bytes_object', 'The number of bytes offloaded to object storage'],
  ['onboard_bytes_object', 'The number of bytes onboarded from object storage'],
  ['matched_tokens', 'The number of matched tokens'],
]

const GAUGE_HELP: [string, string][] = [
  ['host_cache_hit_rate', 'Host cache hit rate (0.0-1.0) from the sliding window'],
  ['disk_cache_hit_rate', 'Disk cache hit rate (0.0-1.0) from the sliding window'],
  ['object_cache_hit_rate', 'Object storage cache hit rate (0.0-1.0) from the sliding window'],
]

export const renderKvbmMetrics = (counters: KvbmCounters, stats: Pick<EngineStats, 'hostHitRate' | 'diskHitRate'>): string => {
  const values: Record<string, number> = {
    ...(counters as unknown as Record<string, number>),
    host_cache_hit_rate: stats.hostHitRate,
    disk_cache_hit_rate: stats.diskHitRate,
  }
  const out: string[] = []
  for (const [suffix, help] of COUNTER_HELP) {
    out.push(`# HELP kvbm_${suffix} ${help}`, `# TYPE kvbm_${suffix} counter`, `kvbm_${suffix} ${values[suffix] ?? 0}`)
  }
  for (const [suffix, help] of GAUGE_HELP) {
    out.push(`# HELP kvbm_${suffix} ${help}`, `# TYPE kvbm_${suffix} gauge`, `kvbm_${suffix} ${values[suffix] ?? 0}`)
  }
  return out.join('\n') + '\n'
}
