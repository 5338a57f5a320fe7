import { describe, expect, it } from 'vitest'
import { RequestRecord } from '../../../helpers/client/request-record'
import { GATE_CATALOG } from '../../../helpers/gates/catalog'
import { PhaseSummary } from '../../../helpers/analysis/phase-summary'
import { METRIC_DEFINITIONS, MetricDefinition, metricDefinitionsDocument } from '../../../helpers/metrics/metric-definitions'

describe('METRIC_DEFINITIONS', () => {
  it('holds valid definitions with snake_case names', () => {
    for (const [name, def] of Object.entries(METRIC_DEFINITIONS)) {
      expect(name, name).toMatch(/^[a-z][a-z0-9_]*$|^rMB_s$|^wMB_s$/)
      expect(MetricDefinition.parse(def)).toEqual(def)
      expect(def.definition.length, name).toBeGreaterThan(10)
    }
  })

  it('defines every timing and latency field of a request record and every error class', () => {
    const fields = Object.keys(RequestRecord.shape).filter((k) => /^t_.*_ms$|_ms$/.test(k) && k !== 'wall_sent_ms')
    for (const f of fields) expect(METRIC_DEFINITIONS[f], f).toBeDefined()
    for (const cls of RequestRecord.shape.error_class.unwrap().options) expect(METRIC_DEFINITIONS[`error_${cls}`], cls).toBeDefined()
  })

  it('defines every latency figure of a phase summary and every metric a catalog gate reads', () => {
    for (const k of Object.keys(PhaseSummary.shape).filter((k) => k.endsWith('_ms'))) expect(METRIC_DEFINITIONS[k], k).toBeDefined()
    for (const g of GATE_CATALOG) expect(METRIC_DEFINITIONS[g.metric], `${g.id} reads ${g.metric}`).toBeDefined()
  })

  it('states the percentile method in the document written to summary.json', () => {
    expect(metricDefinitionsDocument().percentile_method).toMatch(/linear interpolation between closest ranks/)
    expect(metricDefinitionsDocument().metrics.kvbm_onboard_blocks_h2d_delta.definition).toMatch(/never counts as disk/)
  })
})
