import { PromText } from './prom-text'
import { type TierMetricsState, hasDisk, hasOffload } from './tier-metrics-state'

// vLLM's /metrics with the OffloadingConnector (reference tiering-backends.md §3.4): prefix-cache
// token counters, connector (external) hits, per-source cached tokens (v0.33), the offload byte
// counters (GPU→CPU store, CPU→GPU load, which includes fs promotions) and, in disk modes, the
// TieringOffloadingSpec family with tier="0:primary" and a lazily created tier="1:fs" (its series
// appear only after the first fs event, as upstream).
export const renderVllmOffloadMetrics = (s: TierMetricsState): string => {
  const l = { engine: '0', model_name: s.model }
  const one = (value: number) => [{ labels: l, value }]
  const t = s.tokensPerBlock
  const B = t * s.kvBytesPerToken
  const c = s.counters
  const external = hasOffload(s.mode) ? c.matched_tokens : 0
  const p = new PromText(s.startedAtS)
    .counter('vllm:prefix_cache_queries_total', 'Prefix cache queries, in terms of number of queried tokens.', one(s.prefix.promptTokens))
    .counter('vllm:prefix_cache_hits_total', 'Prefix cache hits, in terms of number of cached tokens.', one(s.prefix.deviceHitTokens))
    .counter('vllm:prompt_tokens_cached_total', 'Number of cached prompt tokens (local + external).', one(s.prefix.deviceHitTokens + external))
    .counter('vllm:prompt_tokens_cached_by_source_total', 'Cached prompt tokens by source tier.', [
      { labels: { ...l, source: 'device' }, value: s.prefix.deviceHitTokens },
      ...(hasOffload(s.mode) ? [{ labels: { ...l, source: 'host' }, value: c.onboard_blocks_h2d * t }] : []),
      ...(hasDisk(s.mode) ? [{ labels: { ...l, source: 'disk' }, value: c.onboard_blocks_d2d * t }] : []),
    ])
  if (!hasOffload(s.mode)) return p.text()
  p.counter('vllm:external_prefix_cache_queries_total', 'External prefix cache queries from KV connector cross-instance cache sharing, in terms of number of queried tokens.', one(s.prefix.promptTokens - s.prefix.deviceHitTokens))
    .counter('vllm:external_prefix_cache_hits_total', 'External prefix cache hits from KV connector cross-instance cache sharing, in terms of number of cached tokens.', one(external))
    .counter('vllm:kv_offload_store_bytes_total', 'Bytes stored GPU to CPU by the offloading connector.', one((c.offload_blocks_d2h + c.offload_blocks_d2d) * B))
    .counter('vllm:kv_offload_load_bytes_total', 'Bytes loaded CPU to GPU by the offloading connector.', one((c.onboard_blocks_h2d + c.onboard_blocks_d2d) * B))
  if (!hasDisk(s.mode)) return p.text()
  const tier = (name: string, value: number) => [{ labels: { ...l, tier: '0:primary' }, value: name === 'write' ? c.offload_blocks_d2h * B : c.onboard_blocks_h2d * B }, ...(value > 0 ? [{ labels: { ...l, tier: '1:fs' }, value }] : [])]
  p.counter('vllm:kv_offload_tiering_write_bytes_total', 'Bytes written per offloading tier.', tier('write', (c.offload_blocks_h2d + c.offload_blocks_d2d) * B))
  p.counter('vllm:kv_offload_tiering_read_bytes_total', 'Bytes read per offloading tier.', tier('read', c.onboard_blocks_d2d * B))
  return p.text()
}
