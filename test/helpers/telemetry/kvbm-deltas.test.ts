import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { KVBM_EXPECTED_COUNTERS, frontendPhaseDeltas, kvbmPhaseDeltas } from '../../../helpers/telemetry/kvbm-deltas'
import { parsePrometheusText } from '../../../helpers/telemetry/prometheus-parser'

const kvbm = (v: Record<string, number>) =>
  parsePrometheusText(
    Object.entries(v)
      .map(([k, x]) => `# TYPE ${k} ${k.endsWith('hit_rate') ? 'gauge' : 'counter'}\n${k} ${x}`)
      .join('\n'),
  )
const all = (x: number) => Object.fromEntries(KVBM_EXPECTED_COUNTERS.map((n) => [n, x]))

describe('KVBM phase deltas', () => {
  it('names counter deltas <metric>_delta and keeps disk (d2d) and host (h2d) onboarding apart', () => {
    const a = kvbm({ ...all(0), kvbm_onboard_blocks_d2d: 10, kvbm_onboard_blocks_h2d: 100, kvbm_disk_cache_hit_rate: 0.1, kvbm_host_cache_hit_rate: 0.2 })
    const b = kvbm({ ...all(0), kvbm_onboard_blocks_d2d: 15, kvbm_onboard_blocks_h2d: 900, kvbm_offload_blocks_h2d: 7, kvbm_offload_blocks_d2d: 2, kvbm_disk_cache_hit_rate: 0.4, kvbm_host_cache_hit_rate: 0.9 })
    const r = kvbmPhaseDeltas(a, b)
    expect(r.deltas!.kvbm_onboard_blocks_d2d_delta).toBe(5)
    expect(r.deltas!.kvbm_disk_onboard_blocks_delta).toBe(5)
    expect(r.deltas!.kvbm_host_onboard_blocks_delta).toBe(800)
    expect(r.deltas!.kvbm_disk_offload_blocks_delta).toBe(9)
    expect(r.deltas!.kvbm_disk_cache_hit_rate_after).toBe(0.4)
    expect(r.deltas).not.toHaveProperty('kvbm_disk_cache_hit_rate_delta')
    expect(r.missing).toEqual([])
    expect(r.resets).toEqual([])
  })

  it('flags a counter reset and uses the value after it', () => {
    const r = kvbmPhaseDeltas(kvbm({ ...all(0), kvbm_matched_tokens: 5000 }), kvbm({ ...all(0), kvbm_matched_tokens: 64 }))
    expect(r.deltas!.kvbm_matched_tokens_delta).toBe(64)
    expect(r.resets).toEqual(['kvbm_matched_tokens'])
  })

  it('lists expected-but-missing names of an old build, with null deltas, and keeps its own names', () => {
    const old = (n: number) => parsePrometheusText(`# TYPE kvbm_offload_requests counter\nkvbm_offload_requests ${n}\n# TYPE kvbm_onboard_requests counter\nkvbm_onboard_requests ${n * 2}\n`)
    const r = kvbmPhaseDeltas(old(1), old(4))
    expect(r.missing).toEqual(expect.arrayContaining(['kvbm_onboard_blocks_d2d', 'kvbm_disk_cache_hit_rate']))
    expect(r.deltas!.kvbm_onboard_blocks_d2d_delta).toBeNull()
    expect(r.deltas!.kvbm_disk_onboard_blocks_delta).toBeNull()
    expect(r.deltas!.kvbm_offload_requests_delta).toBe(3)
    expect(r.deltas!.kvbm_onboard_requests_delta).toBe(6)
  })

  it('returns null deltas and every expected name as missing when there is no end scrape', () => {
    const r = kvbmPhaseDeltas(null, null)
    expect(r.deltas).toBeNull()
    expect(r.missing).toContain('kvbm_onboard_blocks_d2d')
  })
})

describe('frontend phase deltas', () => {
  const text = readFileSync('/work/shared/fixtures/real/dynamo/frontend-metrics.prom', 'utf8')
  const bump = (t: string) =>
    t
      .replace(/^(dynamo_frontend_time_to_first_token_seconds_sum\{[^}]*\}) (\S+)$/m, (_, k, v) => `${k} ${Number(v) + 2.5}`)
      .replace(/^(dynamo_frontend_time_to_first_token_seconds_count\{[^}]*\}) (\S+)$/m, (_, k, v) => `${k} ${Number(v) + 10}`)
      .replace(/^(dynamo_frontend_requests_total\{[^}]*status="success"\}) (\S+)$/m, (_, k, v) => `${k} ${Number(v) + 10}`)

  it('diffs histogram _sum and _count per family and counters per status', () => {
    const r = frontendPhaseDeltas(parsePrometheusText(text), parsePrometheusText(bump(text)))
    expect(r.deltas!.dynamo_frontend_time_to_first_token_seconds_sum_delta).toBeCloseTo(2.5, 9)
    expect(r.deltas!.dynamo_frontend_time_to_first_token_seconds_count_delta).toBe(10)
    expect(r.deltas!.dynamo_frontend_requests_total_delta).toBe(10)
    expect(r.deltas!.dynamo_frontend_requests_total_status_success_delta).toBe(10)
    expect(r.deltas!.dynamo_frontend_inflight_requests_after).toBe(0)
    expect(r.deltas!.dynamo_frontend_output_tokens_total_delta).toBe(0)
  })

  it('lists the cached-tokens histogram as missing when neither of its names is exposed', () => {
    const r = frontendPhaseDeltas(parsePrometheusText(text), parsePrometheusText(text))
    const hasCached = /cached_(tokens|sequence_length)/.test(text)
    expect(r.missing.includes('dynamo_frontend_cached_tokens')).toBe(!hasCached)
    expect(r.missing).not.toContain('dynamo_frontend_requests_total')
  })
})
