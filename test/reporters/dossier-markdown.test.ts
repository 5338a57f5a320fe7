import { describe, expect, it } from 'vitest'
import type { GateResult } from '../../helpers/gates/gate'
import type { RunVerdict, Verdict } from '../../helpers/gates/verdict'
import { type DossierSuite, dossierMarkdown } from '../../reporters/dossier-markdown'
import { verdictParagraph } from '../../reporters/report-markdown'

const gate = (reason_code: string, blocker_group: GateResult['blocker_group'], details: Record<string, unknown> = {}): GateResult => ({
  gate_id: reason_code.toLowerCase(),
  suite_id: 'h4a',
  scope: 'contended',
  metric: 'm',
  expr: 'value>0',
  severity: 'hard',
  reason_code,
  blocker_group,
  status: 'fail',
  observed: 0,
  threshold: 0,
  message: '',
  evidence: { files: [], details },
  wall_ms: 0,
})

const entryFor = (g: GateResult): string => {
  const s: DossierSuite = { suite_id: 'h4a', file: null, target_kind: 'emulator', verdict: { emulated: true } as Verdict, gates: [g] }
  const md = dossierMarkdown('r1', { outcome: 'blocked', run_valid: false, decision_grade: false, reason_codes: [g.reason_code] } as unknown as RunVerdict, [s], false)
  return md.slice(md.indexOf('### h4a'))
}

describe('dossier remedies', () => {
  it('are chosen by cause: a host too busy to sample gets no disk-tier or O_DIRECT advice', () => {
    const e = entryFor(gate('ALIGNMENT_LOW', 'attribution_failure'))
    expect(e).toMatch(/\*\*What must change:\*\* Telemetry samples missed their cadence/)
    expect(e).not.toMatch(/O_DIRECT|sized|DYN_KVBM_CPU_CACHE_GB/)
  })

  it('tell a user without fio to install fio, not to resize the disk tier', () => {
    const e = entryFor(gate('CONTENTION_UNAVAILABLE', 'run_validity', { error: 'Expected fio on PATH for contention profile heavy, got none (apt-get install fio)' }))
    expect(e).toMatch(/\*\*What must change:\*\* The contention phase could not start its load generator: install fio/)
    expect(e).not.toMatch(/O_DIRECT|DYN_KVBM/)
  })

  it('send a contention gate left without data to fio first, not to the disk-tier modes', () => {
    const e = entryFor({ ...gate('H4A_NO_CONTENTION', 'control_gap'), status: 'no_data' })
    expect(e).toMatch(/\*\*What must change:\*\* fio did not load the disk .*install fio first/)
    expect(e).not.toMatch(/DYN_KVBM|sized by the mode/)
  })
})

describe('the verdict paragraph', () => {
  it('counts a blocker repeated in every phase once, with the number of phases', () => {
    const g = gate('TIER_PLAN_EXCEEDS_MACHINE', 'harness_setup')
    const v = {
      suite_id: 'h2b', outcome: 'inconclusive', run_valid: false, decision_grade: false, emulated: true, reason_codes: ['TIER_PLAN_EXCEEDS_MACHINE'],
      gates: { pass: 0, hard_fail: 48, soft_fail: 0, not_applicable: 0, no_data: 0 }, tests: { pass: 4, total: 52 },
      blockers: [{ group: 'harness_setup', gates: Array.from({ length: 48 }, () => g) }, { group: 'run_validity', gates: [gate('ERROR_RATE_HIGH', 'run_validity')] }],
    } as unknown as Verdict
    expect(verdictParagraph(v, null)).toContain('Blockers: tier_plan_exceeds_machine (TIER_PLAN_EXCEEDS_MACHINE) in 48 phases, error_rate_high (ERROR_RATE_HIGH).')
  })
})
