import { PromText } from './prom-text'
import { type TierMetricsState, hasOffload } from './tier-metrics-state'

// TensorRT-LLM KV cache metrics as Dynamo passes them through (reference §7): `trtllm_` prefix,
// reused blocks, host offload/onboard bytes, tokens per block. No disk series exist upstream.
export const renderTrtllmMetrics = (s: TierMetricsState): string => {
  const l = { engine_type: 'trtllm', model_name: s.model }
  const one = (value: number) => [{ labels: l, value }]
  const t = s.tokensPerBlock
  const B = t * s.kvBytesPerToken
  const c = s.counters
  const p = new PromText()
    .counter('trtllm_kv_cache_reused_blocks', 'KV cache blocks reused.', one(s.prefix.deviceHitTokens / t + c.onboard_blocks_h2d + c.onboard_blocks_d2d))
    .gauge('trtllm_kv_cache_tokens_per_block', 'Tokens per KV cache block.', one(t))
  if (!hasOffload(s.mode)) return p.text()
  p.counter('trtllm_kv_cache_offload_bytes', 'Bytes offloaded from GPU to host.', one(c.offload_blocks_d2h * B))
    .counter('trtllm_kv_cache_onboard_bytes', 'Bytes onboarded from host to GPU.', one(c.onboard_blocks_h2d * B))
    .gauge('trtllm_kv_cache_host_utilization', 'Host KV cache pool utilization.', one(s.stats.g2.totalBlocks ? s.stats.g2.usedBlocks / s.stats.g2.totalBlocks : 0))
  return p.text()
}
