import { PromText } from './prom-text'
import { type TierMetricsState, hasDisk, hasOffload } from './tier-metrics-state'

// LMCache v1 (LMCacheConnectorV1) series as vLLM's /metrics shows them (reference §4.3, fixture F1):
// `lmcache:` names with `_total` on HELP/TYPE, `_created` gauges, labels model_name and worker_id.
// Upstream has no host-vs-disk hit split, and neither does this dialect: only stored tokens, hit
// (retrieved) tokens, vLLM's own hits and the usage gauges. Disk proof must come from the OS.
export const renderLmcacheMetrics = (s: TierMetricsState): string => {
  // vLLM's own prefix-cache counters share the /metrics page; in B0 (no connector) they are all there is.
  const core = new PromText(s.startedAtS)
    .counter('vllm:prefix_cache_queries_total', 'Prefix cache queries, in terms of number of queried tokens.', [{ labels: { engine: '0', model_name: s.model }, value: s.prefix.promptTokens }])
    .counter('vllm:prefix_cache_hits_total', 'Prefix cache hits, in terms of number of cached tokens.', [{ labels: { engine: '0', model_name: s.model }, value: s.prefix.deviceHitTokens }])
    .text()
  if (!hasOffload(s.mode)) return core
  const l = { model_name: s.model, worker_id: '0' }
  const one = (value: number) => [{ labels: l, value }]
  const t = s.tokensPerBlock
  const B = t * s.kvBytesPerToken
  const c = s.counters
  const p = new PromText(s.startedAtS)
    .counter('lmcache:num_lookup_tokens_total', 'Total number of tokens requested in lookup from lmcache', one(s.prefix.promptTokens - s.prefix.deviceHitTokens))
    .counter('lmcache:num_lookup_hits_total', 'Total number of tokens hit in lookup from lmcache', one(c.matched_tokens))
    .counter('lmcache:num_requested_tokens_total', 'Total number of tokens requested from lmcache', one(s.prefix.promptTokens - s.prefix.deviceHitTokens))
    .counter('lmcache:num_hit_tokens_total', 'Total number of tokens hit in lmcache', one(c.matched_tokens))
    .counter('lmcache:num_stored_tokens_total', 'Total number of tokens stored in lmcache', one((c.offload_blocks_d2h + c.offload_blocks_d2d) * t))
    .counter('lmcache:num_vllm_hit_tokens_total', 'Number of hit tokens in vllm', one(s.prefix.deviceHitTokens))
    .counter('lmcache:num_prompt_tokens_total', 'Number of prompt tokens in lmcache', one(s.prefix.promptTokens))
    .gauge('lmcache:local_cache_usage', 'Local cache usage (bytes) of lmcache', one(s.stats.g2.usedBlocks * B))
  if (hasDisk(s.mode)) p.gauge('lmcache:local_storage_usage', 'Local storage usage (bytes) of lmcache', one(s.stats.g3.usedBlocks * B))
  return core + p.text()
}
