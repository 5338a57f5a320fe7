import type { ChartConfiguration } from 'chart.js'
import { type PhaseMarker, renderChart } from '../../reporters/charts/chart-canvas'
import type { TierCapacities, TraceWhatIf } from './trace-whatif'

// The what-if figures: LRU hit ratio against cache size (log axis) with the run's tier capacities
// drawn on it as labelled vertical lines, and the reuse-distance distribution. Built from the same
// rows as the CSVs. The analysis reads only the trace, so the charts carry no EMULATED watermark;
// measured results next to them do.

const fmtTokens = (t: number): string => (t >= 1e6 ? `${(t / 1e6).toFixed(1)}M` : t >= 1e3 ? `${(t / 1e3).toFixed(1)}k` : `${Math.round(t)}`)

/** Vertical lines at each tier's capacity in target tokens (plain numbers, so a TierPlan wires in directly). */
export const capacityMarkers = (caps: TierCapacities | null, w?: TraceWhatIf): PhaseMarker[] => {
  if (!caps) return []
  const out: PhaseMarker[] = []
  // The curve's value at the capacity (last curve point at or below it), as LRU would serve.
  const at = (t: number) => {
    const p = w?.curve.filter((c) => c.cache_tokens <= t).at(-1)
    return p ? `: LRU ${(p.token_hit_ratio * 100).toFixed(1)} %` : ''
  }
  const add = (name: string, t: number | null) => {
    if (t && t > 0) out.push({ x: t, label: `${name} ${fmtTokens(t)} tok${at(t)}` })
  }
  add('device', caps.device_tokens)
  add('host', caps.host_tokens)
  add('disk', caps.disk_tokens)
  return out
}

export const renderHitCurveChart = (w: TraceWhatIf, caps: TierCapacities | null, title: string): Buffer => {
  const markers = capacityMarkers(caps, w)
  const maxX = Math.max(w.curve[w.curve.length - 1]?.cache_tokens ?? 1, ...markers.map((m) => m.x * 1.2))
  const config: ChartConfiguration = {
    type: 'line',
    data: {
      datasets: [
        {
          label: 'token hit ratio (LRU, prefix)',
          data: w.curve.map((p) => ({ x: p.cache_tokens, y: p.token_hit_ratio * 100 })),
          borderColor: '#1f77b4',
          backgroundColor: '#1f77b4',
          pointRadius: 0,
          borderWidth: 2,
        },
        {
          label: `infinite cache ${(w.ideal_token_hit_ratio * 100).toFixed(1)} %`,
          data: [
            { x: w.curve[0]?.cache_tokens ?? 1, y: w.ideal_token_hit_ratio * 100 },
            { x: maxX, y: w.ideal_token_hit_ratio * 100 },
          ],
          borderColor: '#999999',
          backgroundColor: '#999999',
          borderDash: [6, 4],
          pointRadius: 0,
          borderWidth: 1,
        },
      ],
    },
    options: {
      plugins: {
        title: { display: true, text: title, font: { size: 16 } },
        legend: { display: true, position: 'top', labels: { boxWidth: 28, boxHeight: 3 } },
      },
      scales: {
        x: { type: 'logarithmic', min: w.curve[0]?.cache_tokens ?? 1, max: maxX, title: { display: true, text: `cache size, tokens (1 trace block = ${fmtTokens(w.target_block_tokens)} tokens)` } },
        y: { type: 'linear', min: 0, max: 100, title: { display: true, text: 'prompt tokens served from cache, %' } },
      },
    },
  }
  return renderChart(config, { width: 1200, height: 700, emulated: false, markers }).png
}

export const renderReuseChart = (w: TraceWhatIf, title: string): Buffer => {
  const config: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: [...w.reuse.map((b) => `<${fmtTokens(b.distance_hi)}`), 'cold'],
      datasets: [
        {
          label: 'block accesses, % of all',
          data: [...w.reuse.map((b) => b.share * 100), w.accesses ? (w.cold_accesses / w.accesses) * 100 : 0],
          backgroundColor: '#ff7f0e',
        },
      ],
    },
    options: {
      plugins: { title: { display: true, text: title, font: { size: 16 } }, legend: { display: true, position: 'top' } },
      scales: {
        x: { type: 'category', title: { display: true, text: 'LRU reuse (stack) distance, trace blocks' } },
        y: { type: 'linear', min: 0, title: { display: true, text: '% of block accesses' } },
      },
    },
  }
  return renderChart(config, { width: 1200, height: 600, emulated: false }).png
}
