import { describe, expect, it } from 'vitest'
import {
  GATE_ATTRIBUTION,
  GATE_COV_P99,
  GATE_DISK_REHYDRATE,
  GATE_ERROR_RATE,
  GATE_INTEGRITY,
  GATE_USER_IMPACT,
} from '../../../helpers/gates/catalog'
import { evaluateGate } from '../../../helpers/gates/evaluate-gate'
import type { Gate, GateResult } from '../../../helpers/gates/gate'
import { computeRunVerdict, computeVerdict, evidenceRoleOf, Verdict, verdictJsonSchema, type VerdictInput } from '../../../helpers/gates/verdict'

const ev = (gate: Gate, value: number | null): GateResult =>
  evaluateGate(gate, { value, context: { suite_id: 's1', scope: 'replay', mode: 'B2', target_kind: 'dynamo' } })

// A complete evidence chain: mechanism, OS corroboration, user impact, repeatability, all passing.
const allPass = (): GateResult[] => [
  ev(GATE_ERROR_RATE, 0),
  ev(GATE_DISK_REHYDRATE, 120),
  ev(GATE_ATTRIBUTION, 95),
  ev(GATE_USER_IMPACT, -40),
  ev(GATE_COV_P99, 4),
]
const input = (over: Partial<VerdictInput> = {}): VerdictInput => ({
  suite_id: 's1',
  emulated: false,
  gate_results: allPass(),
  tests: [{ name: 'replay', state: 'pass' }],
  interrupted: false,
  run_errors: [],
  ...over,
})

describe('computeVerdict', () => {
  it('is decision-grade evidence when valid, every hard gate passed and the chain is complete', () => {
    const v = computeVerdict(input())
    expect(Verdict.parse(v)).toEqual(v)
    expect(v).toMatchObject({ run_valid: true, decision_grade: true, outcome: 'evidence', reason_codes: [], evidence_chain_complete: true })
    expect(v.gates).toMatchObject({ total: 5, pass: 5, hard_fail: 0 })
  })

  it('never makes an emulated run decision-grade and always tags it EMULATED_TARGET', () => {
    const v = computeVerdict(input({ emulated: true }))
    expect(v.decision_grade).toBe(false)
    expect(v.run_valid).toBe(true)
    expect(v.evidence_chain_complete).toBe(true)
    expect(v.outcome).toBe('inconclusive')
    expect(v.reason_codes).toContain('EMULATED_TARGET')
  })

  it('marks an interrupted run invalid with RUN_INTERRUPTED', () => {
    const v = computeVerdict(input({ interrupted: true, emulated: true }))
    expect(v.run_valid).toBe(false)
    expect(v.decision_grade).toBe(false)
    expect(v.reason_codes).toEqual(['EMULATED_TARGET', 'RUN_INTERRUPTED'])
  })

  it('is blocked, with the blocker grouped, when a valid run fails a hard mechanism gate', () => {
    const gates = [...allPass().filter((g) => g.gate_id !== 'disk_rehydrate'), ev(GATE_DISK_REHYDRATE, 0)]
    const v = computeVerdict(input({ gate_results: gates, tests: [{ name: 'replay', state: 'fail' }] }))
    expect(v.outcome).toBe('blocked')
    expect(v.run_valid).toBe(true)
    expect(v.evidence_chain.mechanism).toBe('failed')
    expect(v.blockers).toHaveLength(1)
    expect(v.blockers[0].blocker_group).toBe('mechanism_invisibility')
    expect(v.blockers[0].gates[0]).toMatchObject({ gate_id: 'disk_rehydrate', reason_code: 'NO_DISK_REHYDRATE', severity: 'hard' })
    expect(v.reason_codes).toEqual(['NO_DISK_REHYDRATE', 'TESTS_FAILED'])
  })

  it('makes the run invalid (not blocked) when a run-validity gate fails, and when artifacts are missing', () => {
    const v = computeVerdict(input({ gate_results: [...allPass(), ev(GATE_ERROR_RATE, 0.2)] }))
    expect(v).toMatchObject({ run_valid: false, outcome: 'inconclusive' })
    expect(v.reason_codes).toContain('ERROR_RATE_HIGH')
    const missing = computeVerdict(input({ run_errors: ['Expected raw/phases.jsonl, got no file'] }))
    expect(missing.run_valid).toBe(false)
    expect(missing.reason_codes).toEqual(['RUN_ERRORS_PRESENT'])
  })

  it('counts a hard gate without data as failed (GATE_NO_DATA) unless it allows no data', () => {
    const v = computeVerdict(input({ gate_results: [...allPass().filter((g) => g.gate_id !== 'disk_rehydrate'), ev(GATE_DISK_REHYDRATE, null)] }))
    expect(v.decision_grade).toBe(false)
    expect(v.gates.hard_fail).toBe(1)
    // No data is no data: GATE_NO_DATA, never the gate's own failure code (NO_DISK_REHYDRATE).
    expect(v.reason_codes).toEqual(['GATE_NO_DATA'])
    const allowed = computeVerdict(input({ gate_results: [...allPass(), ev({ ...GATE_DISK_REHYDRATE, id: 'x', allow_no_data: true }, null)] }))
    expect(allowed.decision_grade).toBe(true)
  })

  it('is not decision-grade when a soft corroboration gate fails, and names missing chain links', () => {
    const soft = computeVerdict(input({ gate_results: [...allPass(), ev(GATE_ATTRIBUTION, 10)] }))
    expect(soft).toMatchObject({ run_valid: true, decision_grade: false, outcome: 'inconclusive' })
    expect(soft.evidence_chain.os_corroboration).toBe('failed')
    const bare = computeVerdict(input({ gate_results: [ev(GATE_ERROR_RATE, 0)] }))
    expect(bare.reason_codes).toEqual(['MECHANISM_EVIDENCE_MISSING', 'OS_CORROBORATION_MISSING', 'REPEATABILITY_MISSING', 'USER_IMPACT_MISSING'])
    const h0 = computeVerdict(input({ gate_results: [ev(GATE_ERROR_RATE, 0), ev(GATE_COV_P99, 3)], required_evidence: ['repeatability'] }))
    expect(h0.decision_grade).toBe(true)
    expect(h0.evidence_chain.mechanism).toBe('not_required')
  })

  it('says a link is not assessed (not missing) when its gates ran without data, as with one repetition', () => {
    const oneRep = { ...GATE_COV_P99, allow_no_data: true, reason: 'not assessed (1 repetition)' }
    const v = computeVerdict(input({ gate_results: [...allPass().filter((g) => g.gate_id !== 'cov_p99'), ev(oneRep, null)] }))
    expect(v.evidence_chain.repeatability).toBe('not_assessed')
    expect(v.reason_codes).toEqual(['REPEATABILITY_NOT_ASSESSED'])
    expect(v).toMatchObject({ run_valid: true, decision_grade: false, outcome: 'inconclusive' })
  })

  it('holds a reuse claim to answer integrity when it declares that link', () => {
    const required = ['mechanism', 'answer_integrity', 'repeatability'] as const
    const gates = [ev(GATE_ERROR_RATE, 0), ev(GATE_DISK_REHYDRATE, 12), ev(GATE_COV_P99, 2)]
    const without = computeVerdict(input({ gate_results: gates, required_evidence: [...required] }))
    expect(without.reason_codes).toEqual(['ANSWER_INTEGRITY_MISSING'])
    const withIt = computeVerdict(input({ gate_results: [...gates, ev(GATE_INTEGRITY, 0)], required_evidence: [...required] }))
    expect(withIt).toMatchObject({ decision_grade: true, outcome: 'evidence', required_evidence: ['mechanism', 'repeatability', 'answer_integrity'] })
    const corrupt = computeVerdict(input({ gate_results: [...gates, ev(GATE_INTEGRITY, 2)], required_evidence: [...required] }))
    expect(corrupt).toMatchObject({ decision_grade: false, outcome: 'blocked' })
    expect(corrupt.evidence_chain.answer_integrity).toBe('failed')
  })

  it('exports a JSON schema of the verdict', () => {
    const schema = verdictJsonSchema() as { properties: Record<string, unknown>; required: string[] }
    expect(Object.keys(schema.properties)).toContain('decision_grade')
    expect(schema.required).toContain('reason_codes')
  })
})

describe('computeRunVerdict', () => {
  it('is blocked if any suite is blocked and evidence only if every suite is', () => {
    const ok = computeVerdict(input())
    const blocked = computeVerdict(input({ suite_id: 's2', gate_results: [...allPass().filter((g) => g.gate_id !== 'disk_rehydrate'), ev(GATE_DISK_REHYDRATE, 0)] }))
    const emu = computeVerdict(input({ suite_id: 's3', emulated: true }))
    expect(computeRunVerdict([ok, ok]).outcome).toBe('evidence')
    const mixed = computeRunVerdict([ok, blocked, emu])
    expect(mixed).toMatchObject({ outcome: 'blocked', decision_grade: false, run_valid: true, emulated: true })
    expect(mixed.reason_codes).toEqual(['EMULATED_TARGET', 'NO_DISK_REHYDRATE'])
    expect(mixed.blockers[0].gates[0].suite_id).toBe('s1') // gate results carry their suite id
    expect(mixed.gates.total).toBe(15)
    expect(computeRunVerdict([]).reason_codes).toEqual(['NO_SUITES'])
  })
})

describe('evidenceRoleOf', () => {
  const base = ev(GATE_ERROR_RATE, 0)
  it('prefers the gate role and infers one from the metric for inline suite gates', () => {
    expect(evidenceRoleOf(ev(GATE_ATTRIBUTION, 90))).toBe('os_corroboration')
    const inline = (metric: string, blocker_group: GateResult['blocker_group'] = 'reproducibility_failure'): GateResult => ({ ...base, metric, blocker_group, evidence_role: undefined })
    expect(evidenceRoleOf(inline('ttft_p99_ms'))).toBe('user_impact')
    expect(evidenceRoleOf(inline('kvbm_offload_blocks_h2d_delta', 'mechanism_invisibility'))).toBe('mechanism')
    expect(evidenceRoleOf(inline('r_await_ms', 'attribution_failure'))).toBe('os_corroboration')
    expect(evidenceRoleOf(inline('e2e_p99_cov_pct'))).toBe('repeatability')
    // Setup gates prove the setup, not the claim.
    expect(evidenceRoleOf(inline('ttft_ms', 'run_validity'))).toBeNull()
    expect(evidenceRoleOf(inline('kvbm_disk_tier_blocks_delta', 'control_gap'))).toBeNull()
  })
})

describe('computeVerdict: no data and not applicable', () => {
  it('a hard gate without data adds GATE_NO_DATA, never its own failure code', () => {
    const noData = ev({ ...GATE_DISK_REHYDRATE, reason_code: 'KV_CORRUPTION' }, null)
    const v = computeVerdict(input({ gate_results: [...allPass(), noData] }))
    expect(v.reason_codes).toContain('GATE_NO_DATA')
    expect(v.reason_codes).not.toContain('KV_CORRUPTION')
    expect(v.blockers.flatMap((b) => b.gates.map((g) => g.reason_code))).toEqual(['GATE_NO_DATA'])
  })

  it('a suite whose every phase was not applicable on the target ends NOT_APPLICABLE, valid and not blocked', () => {
    const na = evaluateGate(
      { id: 'mode_applicable', metric: 'mode_applicable', expr: 'value==1', severity: 'soft', reason_code: 'MODE_NOT_APPLICABLE', reason: 'r', blocker_group: 'run_validity', applies_to: { targets: [] } },
      { context: { suite_id: 's1', scope: 'B2-mixed', mode: 'B2', target_kind: 'llamacpp' } },
    )
    const v = computeVerdict(input({ gate_results: [na, na] }))
    expect(v).toMatchObject({ outcome: 'not_applicable', run_valid: true, decision_grade: false })
    expect(v.reason_codes).toEqual(['NOT_APPLICABLE'])
    const run = computeRunVerdict([v, computeVerdict(input())])
    expect(run.outcome).toBe('evidence')
    expect(computeRunVerdict([v]).outcome).toBe('not_applicable')
  })
})
