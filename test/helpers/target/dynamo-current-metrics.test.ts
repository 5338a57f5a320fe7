import { describe, expect, test } from 'vitest'
import { frontendPhaseDeltas, kvbmPhaseDeltas } from '../../../helpers/telemetry/kvbm-deltas'
import { parsePrometheusText } from '../../../helpers/telemetry/prometheus-parser'
import { parsePromValues } from '../../../helpers/target/dynamo-kvbm-metrics'

// Current Dynamo's frontend adds the `error_type` label and new families (active_requests,
// requests_started_total, tokenizer_latency_ms, the per-request cached_tokens histogram), and newer
// KVBM builds add object-tier failure counters (dynamo-kvbm.md §8). The expositions below are
// written in that shape (not captures); the parsers the driver and the telemetry use must take
// them in stride: known series keep their deltas, unknown families are carried, not fatal.

const frontend = (success: number, errors: number, cachedSum: number, started: number) => `# HELP dynamo_frontend_requests_total Total number of LLM requests processed
# TYPE dynamo_frontend_requests_total counter
dynamo_frontend_requests_total{endpoint="completions",error_type="",model="m",request_type="stream",status="success"} ${success}
dynamo_frontend_requests_total{endpoint="completions",error_type="no_endpoints",model="m",request_type="stream",status="error"} ${errors}
# TYPE dynamo_frontend_requests_started_total counter
dynamo_frontend_requests_started_total{model="m"} ${started}
# TYPE dynamo_frontend_active_requests gauge
dynamo_frontend_active_requests{model="m"} 2
# TYPE dynamo_frontend_tokenizer_latency_ms histogram
dynamo_frontend_tokenizer_latency_ms_bucket{le="1",operation="encode"} 4
dynamo_frontend_tokenizer_latency_ms_bucket{le="+Inf",operation="encode"} 5
dynamo_frontend_tokenizer_latency_ms_sum{operation="encode"} 3.5
dynamo_frontend_tokenizer_latency_ms_count{operation="encode"} 5
# TYPE dynamo_frontend_cached_tokens histogram
dynamo_frontend_cached_tokens_bucket{model="m",le="+Inf"} ${success}
dynamo_frontend_cached_tokens_sum{model="m"} ${cachedSum}
dynamo_frontend_cached_tokens_count{model="m"} ${success}
# TYPE dynamo_frontend_output_tokens_total counter
dynamo_frontend_output_tokens_total{model="m"} ${success * 8}
`

describe('parsers on current Dynamo expositions', () => {
  test('error_type and the new frontend families leave the request, error and cached-token deltas intact', () => {
    const a = parsePrometheusText(frontend(10, 1, 500, 11))
    const b = parsePrometheusText(frontend(25, 4, 2100, 29))
    expect(a.errors).toEqual([])
    const d = frontendPhaseDeltas(a, b)
    expect(d.deltas).toMatchObject({
      dynamo_frontend_requests_total_delta: 18,
      dynamo_frontend_requests_total_status_success_delta: 15,
      dynamo_frontend_requests_total_status_error_delta: 3,
      dynamo_frontend_cached_tokens_sum_delta: 1600,
      dynamo_frontend_cached_tokens_count_delta: 15,
      dynamo_frontend_requests_started_total_delta: 18,
      dynamo_frontend_tokenizer_latency_ms_count_delta: 0,
      dynamo_frontend_active_requests_after: 2,
    })
    expect(d.missing).not.toContain('dynamo_frontend_cached_tokens')
    expect(b.families.get('dynamo_frontend_requests_total')!.samples.map((s) => s.labels.error_type)).toEqual(['', 'no_endpoints'])
  })

  test('KVBM object-tier failure counters of newer builds are carried without disturbing the tier counters', () => {
    const text = (h2d: number) =>
      `# TYPE kvbm_offload_blocks_h2d counter\nkvbm_offload_blocks_h2d ${h2d}\n# TYPE kvbm_object_read_failures counter\nkvbm_object_read_failures 0\n# TYPE kvbm_object_write_failures counter\nkvbm_object_write_failures 1\n`
    const d = kvbmPhaseDeltas(parsePrometheusText(text(3)), parsePrometheusText(text(10)))
    expect(d.deltas?.kvbm_offload_blocks_h2d_delta).toBe(7)
    expect(parsePromValues(text(10)).get('kvbm_object_write_failures')).toBe(1)
  })
})
