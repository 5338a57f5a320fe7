import { renderKvbmMetrics } from './kvbm-metrics'
import { renderLlamacppMetrics } from './llamacpp-metrics'
import { renderLmcacheMetrics } from './lmcache-metrics'
import { renderSglangHicacheMetrics } from './sglang-hicache-metrics'
import type { TierMetricsState } from './tier-metrics-state'
import { renderTrtllmMetrics } from './trtllm-metrics'
import { renderVllmOffloadMetrics } from './vllm-offload-metrics'

// kvsim speaks one tiering backend's metric dialect per process (`--backend`, default kvbm) on its
// tier-metrics port (the KVBM port of the kvbm dialect), so every backend's normaliser and every
// mechanism gate run end to end against a real process.
export const METRIC_DIALECTS = ['kvbm', 'vllm-offload', 'lmcache', 'sglang-hicache', 'trtllm-native', 'llamacpp'] as const
export type MetricDialect = (typeof METRIC_DIALECTS)[number]

export const isMetricDialect = (s: string): s is MetricDialect => (METRIC_DIALECTS as readonly string[]).includes(s)

export const renderTierMetrics = (dialect: MetricDialect, s: TierMetricsState): string => {
  switch (dialect) {
    case 'kvbm':
      return renderKvbmMetrics(s.counters, s.stats)
    case 'vllm-offload':
      return renderVllmOffloadMetrics(s)
    case 'lmcache':
      return renderLmcacheMetrics(s)
    case 'sglang-hicache':
      return renderSglangHicacheMetrics(s)
    case 'trtllm-native':
      return renderTrtllmMetrics(s)
    case 'llamacpp':
      return renderLlamacppMetrics(s)
  }
}
