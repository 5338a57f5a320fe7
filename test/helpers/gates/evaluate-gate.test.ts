import { describe, expect, it } from 'vitest'
import { GATE_DISK_REHYDRATE, GATE_ERROR_RATE } from '../../../helpers/gates/catalog'
import { evaluateGate, type GateContext } from '../../../helpers/gates/evaluate-gate'
import { GateResult, type Gate } from '../../../helpers/gates/gate'

const ctx = (mode = 'B2'): GateContext => ({ suite_id: 's1', scope: 'replay', mode, target_kind: 'emulator' })
const ttftGate: Gate = {
  id: 'ttft_p99',
  metric: 'ttft_ms',
  expr: 'p(99)<200',
  severity: 'hard',
  reason_code: 'TTFT_SLO',
  reason: 'TTFT p99 over the SLO.',
  blocker_group: 'reproducibility_failure',
}

describe('evaluateGate', () => {
  it('aggregates samples with the expression and passes or fails with the k6 message format', () => {
    const pass = evaluateGate(ttftGate, { values: Array.from({ length: 100 }, (_, i) => i), context: ctx() })
    expect(GateResult.parse(pass)).toEqual(pass)
    expect(pass.status).toBe('pass')
    expect(pass.observed).toBeCloseTo(98.01, 9)
    expect(pass.threshold).toBe(200)
    const fail = evaluateGate(ttftGate, { values: [100, 300, 500], context: ctx(), evidence: { files: ['suite/raw/requests.jsonl'], details: { n: 3 } } })
    expect(fail.status).toBe('fail')
    expect(fail.message).toBe('gate ttft_p99 (TTFT_SLO): expected p(99)<200, observed 496 over 3 samples — TTFT p99 over the SLO.')
    expect(fail.evidence.files).toEqual(['suite/raw/requests.jsonl'])
    expect(fail.scope).toBe('replay')
  })

  it('uses a pre-aggregated value as is', () => {
    expect(evaluateGate(GATE_ERROR_RATE, { value: 0.02, context: ctx() })).toMatchObject({ status: 'fail', observed: 0.02 })
    expect(evaluateGate(GATE_ERROR_RATE, { value: 0, context: ctx() }).status).toBe('pass')
  })

  it('is not_applicable outside applies_to modes (B2\' label accepted) and targets', () => {
    expect(evaluateGate(GATE_DISK_REHYDRATE, { value: 0, context: ctx('B1') }).status).toBe('not_applicable')
    expect(evaluateGate(GATE_DISK_REHYDRATE, { value: 5, context: ctx("B2'") }).status).toBe('pass')
    const dynOnly: Gate = { ...ttftGate, applies_to: { targets: ['dynamo'] } }
    expect(evaluateGate(dynOnly, { value: 1, context: ctx() }).status).toBe('not_applicable')
  })

  it('reports no_data when there is nothing to evaluate, and copies allow_no_data', () => {
    const r = evaluateGate(GATE_DISK_REHYDRATE, { value: null, context: ctx() })
    expect(r.status).toBe('no_data')
    expect(r.observed).toBeNull()
    expect(r.message).toMatch(/no data/)
    expect(r.message).not.toContain(r.reason_code)
    expect(evaluateGate({ ...ttftGate, allow_no_data: true }, { values: [], context: ctx() }).allow_no_data).toBe(true)
    // count over an empty sample is 0, not no data
    expect(evaluateGate({ ...ttftGate, expr: 'count>0' }, { values: [], context: ctx() })).toMatchObject({ status: 'fail', observed: 0 })
  })
})
