import { PromText } from './prom-text'
import type { TierMetricsState } from './tier-metrics-state'

// llama-server's /metrics (reference §8, fixture F7): `llamacpp:` names, no labels, no `_created`.
// prompt_tokens_total excludes cached tokens; prompt_tokens_cached_total (b10424+) counts every
// reused prompt token, slot KV or --cache-ram alike (there is no split).
export const renderLlamacppMetrics = (s: TierMetricsState): string => {
  const cached = s.prefix.deviceHitTokens + (s.mode === 'B0' ? 0 : s.counters.matched_tokens)
  return new PromText()
    .counter('llamacpp:prompt_tokens_total', 'Number of prompt tokens processed.', [{ labels: {}, value: s.prefix.promptTokens - cached }])
    .counter('llamacpp:prompt_tokens_cached_total', 'Number of prompt tokens reused from the cache.', [{ labels: {}, value: cached }])
    .counter('llamacpp:tokens_predicted_total', 'Number of generation tokens processed.', [{ labels: {}, value: s.prefix.generatedTokens }])
    .gauge('llamacpp:requests_processing', 'Number of requests processing.', [{ labels: {}, value: s.stats.running }])
    .gauge('llamacpp:requests_deferred', 'Number of requests deferred.', [{ labels: {}, value: s.stats.queued }])
    .text()
}
