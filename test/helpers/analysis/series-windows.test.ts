import { describe, expect, it } from 'vitest'
import { resampleToWindows, seriesWindows } from '../../../helpers/analysis/series-windows'
import { makeRecord } from './request-record-fixture'

describe('seriesWindows', () => {
  it('buckets by first-token time, keeps empty windows and computes per-window p50/p99', () => {
    const recs = [
      makeRecord({ seq: 0, t_first_token_ms: 100, ttft_ms: 10 }),
      makeRecord({ seq: 1, t_first_token_ms: 900, ttft_ms: 30 }),
      makeRecord({ seq: 2, t_first_token_ms: 2500, ttft_ms: 50 }),
      makeRecord({ seq: 3, ok: false, error_class: 'timeout_body', t_first_token_ms: null, t_end_ms: 2600, ttft_ms: null }),
    ]
    const w = seriesWindows(recs, { window_ms: 1000 })
    expect(w.map((x) => x.t_start_ms)).toEqual([0, 1000, 2000])
    expect(w[0]).toMatchObject({ count: 2, ok: 2, ttft_p50_ms: 20 })
    expect(w[0].ttft_p99_ms).toBeCloseTo(29.8, 9)
    expect(w[1]).toMatchObject({ count: 0, ttft_p50_ms: null })
    expect(w[2]).toMatchObject({ count: 2, ok: 1, errors: 1, ttft_p50_ms: 50 })
  })

  it('resamples telemetry onto the same windows by mean', () => {
    const windows = [{ t_start_ms: 0, t_end_ms: 1000 }, { t_start_ms: 1000, t_end_ms: 2000 }, { t_start_ms: 2000, t_end_ms: 3000 }]
    const v = resampleToWindows(windows, [{ t_ms: 100, value: 1 }, { t_ms: 600, value: 3 }, { t_ms: 2100, value: 5 }, { t_ms: 5000, value: 9 }])
    expect(v).toEqual([2, null, 5])
  })
})
