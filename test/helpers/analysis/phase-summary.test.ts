import { describe, expect, it } from 'vitest'
import { measuredPhases, PhaseSummary, summarizePhase } from '../../../helpers/analysis/phase-summary'
import { makeRecord } from './request-record-fixture'

describe('summarizePhase', () => {
  it('computes latency percentiles over ok requests, errors by class and throughput over wall time', () => {
    const records = [
      ...Array.from({ length: 10 }, (_, i) =>
        makeRecord({ seq: i, ttft_ms: (i + 1) * 10, e2e_ms: 100 + i, itl_ms: [1, 3], output_tokens: 20, input_tokens: 50, cached_tokens: 5 }),
      ),
      makeRecord({ seq: 10, ok: false, error_class: 'http_5xx', http_status: 500, ttft_ms: null, output_tokens: null }),
      makeRecord({ seq: 11, ok: false, error_class: 'timeout_body', ttft_ms: 9999 }),
    ]
    const s = summarizePhase(records, { wall_ms: 2000 })
    expect(PhaseSummary.parse(s)).toEqual(s)
    expect(s.count).toBe(12)
    expect(s.ok).toBe(10)
    expect(s.errors).toBe(2)
    expect(s.errors_by_class).toEqual({ http_5xx: 1, timeout_body: 1 })
    expect(s.error_rate).toBeCloseTo(2 / 12, 12)
    expect(s.stalled).toBe(1)
    // TTFT 10..100 over the 10 ok requests: p50 = 55, p99 = 99.1 (linear); the failed 9999 is excluded.
    expect(s.ttft_ms.p50).toBe(55)
    expect(s.ttft_ms.p99).toBeCloseTo(99.1, 9)
    expect(s.ttft_ms.max).toBe(100)
    expect(s.itl_ms.count).toBe(20)
    expect(s.itl_ms.mean).toBe(2)
    expect(s.req_per_s).toBe(5)
    expect(s.output_tokens).toBe(200)
    expect(s.output_tok_per_s).toBe(100)
    expect(s.input_tokens).toBe(500)
    expect(s.cached_tokens).toBe(50)
    expect(s.schedule_delay_ms.count).toBe(12)
    expect(s.itl_method).toBe('exact')
    expect(s.percentile_method).toMatch(/linear interpolation/)
  })

  it('derives client overhead from server timing only where the server reports it', () => {
    const records = [
      makeRecord({ seq: 0, t_first_token_ms: 110, server_timing: { received_ms: 100, first_token_ms: 107, last_token_ms: 120 } }),
      makeRecord({ seq: 1, t_first_token_ms: 210, server_timing: { received_ms: 200, first_token_ms: 205, last_token_ms: 220 } }),
      makeRecord({ seq: 2, server_timing: null }),
    ]
    const s = summarizePhase(records, { wall_ms: 1000 })
    expect(s.client_overhead_ms.count).toBe(2)
    expect(s.client_overhead_ms.min).toBe(3)
    expect(s.client_overhead_ms.max).toBe(5)
  })

  it('switches ITL to the streaming histogram above the exact limit and stays within 1 %', () => {
    const records = Array.from({ length: 50 }, (_, i) => makeRecord({ seq: i, itl_ms: Array.from({ length: 100 }, (_, j) => 1 + ((i * 100 + j) % 97)) }))
    const exact = summarizePhase(records, { wall_ms: 1000 })
    const streamed = summarizePhase(records, { wall_ms: 1000, exactMaxSamples: 100 })
    expect(streamed.itl_method).toBe('log_histogram')
    expect(exact.itl_method).toBe('exact')
    for (const k of ['p50', 'p90', 'p99'] as const)
      expect(Math.abs((streamed.itl_ms[k] as number) - (exact.itl_ms[k] as number)) / (exact.itl_ms[k] as number)).toBeLessThanOrEqual(0.01)
  })

  it('reports nulls, not zeros, for an empty phase or zero wall time', () => {
    const s = summarizePhase([], { wall_ms: 0 })
    expect(s.count).toBe(0)
    expect(s.error_rate).toBeNull()
    expect(s.req_per_s).toBeNull()
    expect(s.ttft_ms.p99).toBeNull()
    expect(() => summarizePhase([], { wall_ms: -1 })).toThrow(/Expected wall_ms >= 0, got -1/)
  })
})

describe('measuredPhases', () => {
  it('keeps measure phases and drops warmups and probes', () => {
    const phases = [{ kind: 'warmup', n: 1 }, { kind: 'measure', n: 2 }, { phase_kind: 'measure', n: 3 }, { kind: 'probe', n: 4 }]
    expect(measuredPhases(phases).map((p) => p.n)).toEqual([2, 3])
  })
})
