import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderLmcacheMetrics } from '../../../emulator/server/lmcache-metrics'
import type { TierMetricsState } from '../../../emulator/server/tier-metrics-state'
import { createBackend } from '../../../helpers/backends/backend-registry'
import { hasFamily, sumSeries } from '../../../helpers/backends/prom-series'
import { TIER_COUNTER_NAMES } from '../../../helpers/backends/tier-counters'
import { parsePrometheusText } from '../../../helpers/telemetry/prometheus-parser'

// Real /metrics samples from public threads (reference tiering-backends.md §12), kept in
// fixtures/metrics/ with their source URL on the first line: the parser reads them without error,
// series helpers sum `_total` counters and skip `_created`, and a normaliser never turns series it
// does not use (histograms, legacy gauges) into tier counters.

const fixture = (name: string) => {
  const text = readFileSync(join(import.meta.dirname, '../../../fixtures/metrics', name), 'utf8')
  expect(text.split('\n')[0]).toMatch(/^# source: https:\/\//)
  return parsePrometheusText(text)
}

describe('public /metrics samples', () => {
  it('LMCache internal API server (F1): `_total` counters summed, `_created` gauges ignored, no tier counter invented', () => {
    const p = fixture('lmcache-v1-internal-api.prom')
    expect(p.errors).toEqual([])
    expect(sumSeries(p, 'lmcache:num_store_requests_total')).toBe(0)
    expect(sumSeries(p, 'lmcache:num_store_requests')).toBe(0)
    expect(hasFamily(p, 'lmcache:num_retrieve_requests')).toBe(true)
    const c = createBackend('lmcache').normalise(p)
    for (const n of TIER_COUNTER_NAMES) expect(c[n], n).toBeNull()
  })

  it('kvsim`s lmcache dialect spells its counters like the real exporter (HELP/TYPE with _total, _created gauges, model_name + worker_id)', () => {
    const real = fixture('lmcache-v1-internal-api.prom')
    const state: TierMetricsState = {
      mode: 'B2',
      model: 'kvsim/tiny',
      tokensPerBlock: 32,
      kvBytesPerToken: 32768,
      counters: { offload_blocks_d2h: 1, offload_blocks_h2d: 1, offload_blocks_d2d: 0, onboard_blocks_h2d: 1, onboard_blocks_d2d: 1, matched_tokens: 64 },
      prefix: { promptTokens: 100, deviceHitTokens: 32, generatedTokens: 8 },
      stats: { inflight: 0, queued: 0, running: 0, g1: { totalBlocks: 1, usedBlocks: 0 }, g2: { totalBlocks: 1, usedBlocks: 0 }, g3: { totalBlocks: 1, usedBlocks: 0 }, hostHitRate: 0, diskHitRate: 0, lastOnboardMs: null, loadedAdapters: [] },
      startedAtS: 1.7e9,
    }
    const ours = parsePrometheusText(renderLmcacheMetrics(state))
    expect(ours.errors).toEqual([])
    const shape = (p: typeof real, fam: string) => {
      const f = p.families.get(fam)!
      return { type: f.type, labels: Object.keys(f.samples[0]!.labels).sort() }
    }
    expect(shape(ours, 'lmcache:num_stored_tokens_total')).toEqual({ type: 'counter', labels: shape(real, 'lmcache:num_store_requests_total').labels })
    expect(shape(ours, 'lmcache:num_stored_tokens_created')).toEqual(shape(real, 'lmcache:num_store_requests_created'))
  })

  it('LMCache histogram (F2) is not read as a tier counter', () => {
    const p = fixture('lmcache-v1-histogram.prom')
    expect(p.errors).toEqual([])
    const c = createBackend('lmcache').normalise(p)
    expect(Object.values(c).every((v) => v === null)).toBe(true)
  })

  it('SGLang legacy gauges (F4) give no cached-token counters: gauges reset and are never phase evidence', () => {
    const p = fixture('sglang-legacy-gauges.prom')
    expect(p.errors).toEqual([])
    expect(sumSeries(p, 'sglang:cached_token')).toBe(6252)
    const c = createBackend('sglang-hicache').normalise(p)
    for (const n of TIER_COUNTER_NAMES) expect(c[n], n).toBeNull()
  })

  it('llama.cpp (F7) parses with counters and no labels', () => {
    const p = fixture('llamacpp-metrics.prom')
    expect(p.errors).toEqual([])
    expect(sumSeries(p, 'llamacpp:prompt_tokens_total')).toBe(143)
    expect(p.families.get('llamacpp:prompt_tokens_total')?.samples[0]?.labels).toEqual({})
  })

  it('vLLM histogram (F9) parses and yields no offload counters', () => {
    const p = fixture('vllm-iteration-tokens.prom')
    expect(p.errors).toEqual([])
    const c = createBackend('vllm-offload', { kvBytesPerToken: 131072 }).normalise(p)
    for (const n of TIER_COUNTER_NAMES) expect(c[n], n).toBeNull()
  })
})
