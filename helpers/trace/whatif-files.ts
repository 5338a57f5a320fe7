import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'csv-stringify/sync'
import { renderHitCurveChart, renderReuseChart } from './whatif-chart'
import type { TierCapacities, TierPrediction, TraceWhatIf } from './trace-whatif'

// Writes a trace's what-if analysis into a directory: whatif.json (summary, capacities,
// predictions), whatif_curve.csv, whatif_reuse.csv and the two charts drawn from the same rows.

export interface WhatIfFiles {
  json: string
  curveCsv: string
  reuseCsv: string
  curvePng: string | null
  reusePng: string | null
}

export interface WhatIfBundle {
  trace: { path: string; first_n: number | null; length_scale: number; time_scale: number }
  whatIf: TraceWhatIf
  /** Tier capacities marked on the curve, by mode (target tokens). */
  capacities: Record<string, TierCapacities>
  predictions: Record<string, TierPrediction>
  /** Where the capacities came from (e.g. "kvsim tiny profile blocks", "model profile + kv_modes GB"). */
  capacity_source: string
}

const csv = (rows: Record<string, unknown>[]): string => {
  if (rows.length === 0) return ''
  const cols = Object.keys(rows[0])
  return stringify([cols, ...rows.map((r) => cols.map((c) => (r[c] === null || r[c] === undefined ? '' : r[c])))])
}

export const writeWhatIfFiles = (dir: string, b: WhatIfBundle, opts: { charts?: boolean; markMode?: string } = {}): WhatIfFiles => {
  mkdirSync(dir, { recursive: true })
  const { curve, reuse, ...summary } = b.whatIf
  const files: WhatIfFiles = {
    json: join(dir, 'whatif.json'),
    curveCsv: join(dir, 'whatif_curve.csv'),
    reuseCsv: join(dir, 'whatif_reuse.csv'),
    curvePng: null,
    reusePng: null,
  }
  writeFileSync(files.json, `${JSON.stringify({ trace: b.trace, summary, capacity_source: b.capacity_source, capacities: b.capacities, predictions: b.predictions }, null, 2)}\n`)
  writeFileSync(files.curveCsv, csv(curve as unknown as Record<string, unknown>[]))
  writeFileSync(files.reuseCsv, csv(reuse as unknown as Record<string, unknown>[]))
  if (opts.charts !== false) {
    const mode = opts.markMode ?? Object.keys(b.capacities).at(-1)
    const caps = mode ? (b.capacities[mode] ?? null) : null
    const name = b.trace.path.split('/').at(-1)
    files.curvePng = join(dir, 'whatif_curve.png')
    writeFileSync(files.curvePng, renderHitCurveChart(b.whatIf, caps, `what-if: ${name}, LRU prefix hit vs cache size${mode ? ` (${mode} tiers marked)` : ''}`))
    files.reusePng = join(dir, 'whatif_reuse.png')
    writeFileSync(files.reusePng, renderReuseChart(b.whatIf, `what-if: ${name}, reuse distance distribution`))
  }
  return files
}
