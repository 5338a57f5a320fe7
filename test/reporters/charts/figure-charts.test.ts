import { describe, expect, it } from 'vitest'
import { buildFigureChart } from '../../../reporters/charts/figure-charts'
import { figureSpec } from '../../../reporters/figure-catalog'

type Ds = { label: string; yAxisID?: string; data: unknown[]; tierbenchLabels?: string[] }
const datasets = (c: ReturnType<typeof buildFigureChart>) => c.config.data.datasets as unknown as Ds[]

describe('figure charts', () => {
  it('ttft_windows breaks its line between phases and gives r_await and onboard their own axes, named by the device', () => {
    const row = (t: number, phase: string) => ({ window_start_s: t, window_end_s: t + 1, phase, mode: 'B2', count: 3, ttft_p50_ms: 10, ttft_p99_ms: 20, r_await_ms: 0.4, kvbm_onboard_d2d_blocks_per_s: 900, device: 'vda' })
    const c = buildFigureChart(figureSpec('ttft_windows'), 'h2b', [row(1, 'a'), row(2, 'a'), row(3, 'b')], [])
    const [ttft, rAwait, onboard] = datasets(c)
    expect((ttft.data as { y: number | null }[]).map((p) => p.y)).toEqual([20, 20, null, 20])
    expect(rAwait.label).toBe('vda r_await (ms, right axis)')
    expect([rAwait.yAxisID, onboard.yAxisID]).toEqual(['y2', 'y3'])
    expect(JSON.stringify(c.config)).not.toContain('NVMe')
  })

  it('slo_capacity labels a capacity the SLO never bounded as censored', () => {
    const rows = [
      { mode: 'B2', step_key: 'context_tokens', slo_metric: 'ttft_p99_ms', slo_threshold_ms: 2000, max_error_rate: 0.01, max_step_value: 2048, first_failing_step_value: null, steps_measured: 3 },
      { mode: 'B1', step_key: 'context_tokens', slo_metric: 'ttft_p99_ms', slo_threshold_ms: 2000, max_error_rate: 0.01, max_step_value: 1024, first_failing_step_value: 2048, steps_measured: 3 },
    ]
    const [bars] = datasets(buildFigureChart(figureSpec('slo_capacity'), 'h2b', rows, []))
    expect(bars.tierbenchLabels).toEqual(['≥ 2048, SLO never exceeded', '1024 (fails at 2048)'])
  })

  it('p99_vs_r_await names each point by its phase', () => {
    const rows = ['ctx512', 'ctx1024'].map((phase, i) => ({ phase, mode: 'B2', contention: i ? 'heavy' : null, ttft_p99_ms: 100 * (i + 1), r_await_ms: 0.1 * (i + 1), r_s: 1, util_pct: 1, source: 's', device: 'nvme0n1' }))
    const [pts] = datasets(buildFigureChart(figureSpec('p99_vs_r_await'), 'h2b', rows, []))
    expect(pts.tierbenchLabels).toEqual(['ctx512', 'ctx1024 · heavy'])
  })
})
