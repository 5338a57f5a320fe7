import { describe, expect, it } from 'vitest'
import { GATE_CATALOG, gateById, gateCatalogMarkdown } from '../../../helpers/gates/catalog'
import { Gate } from '../../../helpers/gates/gate'
import { parseExpr } from '../../../helpers/gates/parse-expr'

describe('GATE_CATALOG', () => {
  it('holds valid gates with unique ids and parseable expressions', () => {
    const ids = GATE_CATALOG.map((g) => g.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const g of GATE_CATALOG) {
      expect(Gate.parse(g)).toEqual(g)
      expect(() => parseExpr(g.expr)).not.toThrow()
    }
  })

  it('covers every reason code the plans require', () => {
    const codes = new Set(GATE_CATALOG.map((g) => g.reason_code))
    for (const code of [
      'ALIGNMENT_LOW',
      'UNSTABLE_REPETITIONS',
      'NOT_REPRODUCIBLE',
      'STACK_A_DISK_ACTIVITY',
      'TIER2_HITS_LOW',
      'NO_KV_REUSE',
      'ERROR_RATE_HIGH',
      'KVBM_METRICS_MISSING',
      'NO_DISK_OFFLOAD',
      'NO_DISK_REHYDRATE',
      'B1_DISK_TIER_ACTIVE',
      'KV_CORRUPTION',
      'ATTRIBUTION_LOW',
      'CLIENT_BOTTLENECK',
      'REQUEST_STALL',
      'LONG_CONTEXT_UNAVAILABLE',
      'MODEL_DROPPED',
    ])
      expect(codes.has(code), code).toBe(true)
  })

  it('keeps the disk-mechanism gates off B1 and the B1 control gate on B1 only', () => {
    expect(gateById('disk_rehydrate').applies_to?.modes).toEqual(['B2', 'B2p', 'B3'])
    expect(gateById('b1_no_disk_tier').applies_to?.modes).toEqual(['B1'])
    expect(() => gateById('nope')).toThrow('Expected a gate id from GATE_CATALOG, got "nope"')
  })

  it('renders one markdown row per gate with id, metric, expression, severity, code and group', () => {
    const md = gateCatalogMarkdown()
    const rows = md.trim().split('\n')
    expect(rows).toHaveLength(GATE_CATALOG.length + 2)
    expect(md).toContain('| `disk_rehydrate` | `disk_onboard_tokens` | `value>0` | hard | `NO_DISK_REHYDRATE` | mechanism_invisibility | B2, B2p, B3 | mechanism |')
  })
})
