import { PromText } from './prom-text'
import { type TierMetricsState, hasDisk, hasOffload } from './tier-metrics-state'

// SGLang's /metrics with HiCache (reference §5.2): `sglang:` names, cached tokens split by
// cache_source (device | host | storage_<Backend>), host backups, load-backs, and in disk modes the
// storage backups and prefetches (tokens).
export const renderSglangHicacheMetrics = (s: TierMetricsState): string => {
  const l = { model_name: s.model, tp_rank: '0', dp_rank: '0' }
  const one = (value: number) => [{ labels: l, value }]
  const t = s.tokensPerBlock
  const c = s.counters
  const p = new PromText(s.startedAtS)
    .counter('sglang:prompt_tokens_total', 'Number of prefill tokens processed.', one(s.prefix.promptTokens))
    .counter('sglang:cached_tokens_total', 'Number of cached prompt tokens by cache source.', [
      { labels: { ...l, cache_source: 'device' }, value: s.prefix.deviceHitTokens },
      ...(hasOffload(s.mode) ? [{ labels: { ...l, cache_source: 'host' }, value: c.onboard_blocks_h2d * t }] : []),
      ...(hasDisk(s.mode) ? [{ labels: { ...l, cache_source: 'storage_HiCacheFile' }, value: c.onboard_blocks_d2d * t }] : []),
    ])
  if (!hasOffload(s.mode)) return p.text()
  p.gauge('sglang:hicache_host_used_tokens', 'Host KV tokens in use.', one(s.stats.g2.usedBlocks * t))
    .gauge('sglang:hicache_host_total_tokens', 'Host KV token capacity.', one(s.stats.g2.totalBlocks * t))
    .counter('sglang:hicache_backup_tokens_total', 'Tokens backed up from device to host.', [{ labels: { ...l, pool: 'kv' }, value: c.offload_blocks_d2h * t }])
    .counter('sglang:load_back_tokens_total', 'Tokens loaded back from host to device.', one((c.onboard_blocks_h2d + c.onboard_blocks_d2d) * t))
  if (!hasDisk(s.mode)) return p.text()
  const sl = { ...l, storage_backend: 'file' }
  p.counter('sglang:backuped_tokens_total', 'Tokens backed up to the storage backend.', [{ labels: sl, value: (c.offload_blocks_h2d + c.offload_blocks_d2d) * t }])
    .counter('sglang:prefetched_tokens_total', 'Tokens prefetched from the storage backend.', [{ labels: sl, value: c.onboard_blocks_d2d * t }])
  return p.text()
}
