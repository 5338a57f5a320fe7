import { z } from 'zod'
import { BlockerGroup, EvidenceRole, GateResult } from './gate'

// Canonical plan P6 verdict semantics (seed 002):
// - run_valid: artifacts complete (no run_errors), not interrupted, no run-validity gate failed.
// - decision_grade: run_valid AND every hard gate passed AND the evidence chain is complete
//   (each link the suite's claim requires — mechanism, OS corroboration, user-visible impact,
//   repeatability, answer integrity — supplied by at least one passing gate of that role and
//   contradicted by none; see evidenceRoleOf) AND not emulated. Suites declare their links
//   (defineHypothesis `evidence`); a bundle without the declaration is held to the four classic links.
// - outcome: 'evidence' when decision-grade; 'blocked' when the run is valid and a hard gate of a
//   blocker group (control gap, mechanism invisibility, attribution, reproducibility, long context)
//   failed — the dossier then proves the block; otherwise 'inconclusive'.
// A hard gate with no data (and no allow_no_data) counts as failed and adds GATE_NO_DATA.

/**
 * present: a gate of that role passed and none failed; failed: one failed; not_assessed: its gates
 * ran but had no data (smoke's single repetition: no CoV); missing: no gate of that role ran.
 */
export const EvidenceStatus = z.enum(['present', 'failed', 'not_assessed', 'missing', 'not_required'])
export type EvidenceStatus = z.infer<typeof EvidenceStatus>

// not_applicable: nothing in the suite could run on this target (every phase's mode unsupported).
export const VerdictOutcome = z.enum(['evidence', 'blocked', 'inconclusive', 'not_applicable'])
export type VerdictOutcome = z.infer<typeof VerdictOutcome>

export const VerdictBlocker = z.object({
  suite_id: z.string(),
  gate_id: z.string(),
  reason_code: z.string(),
  severity: z.enum(['hard', 'soft']),
  scope: z.string().nullable(),
  message: z.string(),
})
export type VerdictBlocker = z.infer<typeof VerdictBlocker>

export const GateTally = z.object({
  total: z.number().int(),
  pass: z.number().int(),
  fail: z.number().int(),
  not_applicable: z.number().int(),
  no_data: z.number().int(),
  hard_fail: z.number().int(),
  soft_fail: z.number().int(),
})
export type GateTally = z.infer<typeof GateTally>

export const Verdict = z.object({
  suite_id: z.string(),
  emulated: z.boolean(),
  run_valid: z.boolean(),
  decision_grade: z.boolean(),
  outcome: VerdictOutcome,
  /** Sorted, unique. */
  reason_codes: z.array(z.string()),
  /** Failed gates (hard and soft) grouped by blocker group; only groups with entries. */
  blockers: z.array(z.object({ blocker_group: BlockerGroup, gates: z.array(VerdictBlocker) })),
  evidence_chain: z.object({
    mechanism: EvidenceStatus,
    os_corroboration: EvidenceStatus,
    user_impact: EvidenceStatus,
    repeatability: EvidenceStatus,
    answer_integrity: EvidenceStatus,
  }),
  evidence_chain_complete: z.boolean(),
  /** The links this suite's claim needs (its declaration, else DEFAULT_REQUIRED_EVIDENCE). */
  required_evidence: z.array(EvidenceRole),
  gates: GateTally,
  tests: z.object({ total: z.number().int(), pass: z.number().int(), fail: z.number().int(), other: z.number().int() }),
  interrupted: z.boolean(),
  run_errors: z.array(z.string()),
  /** One sentence for report headers. */
  summary: z.string(),
})
export type Verdict = z.infer<typeof Verdict>

export interface VerdictInput {
  suite_id: string
  emulated: boolean
  gate_results: readonly GateResult[]
  tests: readonly { name: string; state: string }[]
  interrupted: boolean
  /** Missing artifacts, analyzer errors, crashed hooks… each a sentence. */
  run_errors: readonly string[]
  /** Links of the evidence chain this suite's claim needs. @default DEFAULT_REQUIRED_EVIDENCE */
  required_evidence?: readonly EvidenceRole[]
}

const ROLES = EvidenceRole.options
/** What a bundle without a declaration (written before suites declared their links) is held to. */
export const DEFAULT_REQUIRED_EVIDENCE: readonly EvidenceRole[] = ['mechanism', 'os_corroboration', 'user_impact', 'repeatability']
/** Reason code when a required link has no gate of its role at all. */
export const CHAIN_MISSING_CODE: Record<EvidenceRole, string> = {
  mechanism: 'MECHANISM_EVIDENCE_MISSING',
  os_corroboration: 'OS_CORROBORATION_MISSING',
  user_impact: 'USER_IMPACT_MISSING',
  repeatability: 'REPEATABILITY_MISSING',
  answer_integrity: 'ANSWER_INTEGRITY_MISSING',
}
/** Reason code when a required link's gates ran without data (e.g. CoV of a single repetition). */
export const CHAIN_NOT_ASSESSED_CODE: Record<EvidenceRole, string> = {
  mechanism: 'MECHANISM_NOT_ASSESSED',
  os_corroboration: 'OS_CORROBORATION_NOT_ASSESSED',
  user_impact: 'USER_IMPACT_NOT_ASSESSED',
  repeatability: 'REPEATABILITY_NOT_ASSESSED',
  answer_integrity: 'ANSWER_INTEGRITY_NOT_ASSESSED',
}

const USER_IMPACT_METRIC = /^(ttft|ttfb|ttfc|tpot|e2e|itl|req_per_s|output_tok_per_s|slo_capacity|u_work|knee)/
const MECHANISM_METRIC = /^(kvbm_|tier2_hit)/
const OS_METRIC = /^(r_s|w_s|rMB_s|wMB_s|r_await|w_await|aqu_sz|util_pct|read_bytes|write_bytes|process_|attributed_io|disk_)/
const REPEATABILITY_METRIC = /(_cov_pct|_max_rel_dev_pct|^order_effect)/
const INTEGRITY_METRIC = /^integrity_/

/**
 * The evidence-chain link a result supplies: its gate's evidence_role, else inferred from the
 * metric name for gates suites define inline (latency/throughput/capacity → user_impact, kvbm_* →
 * mechanism, disk telemetry → os_corroboration, CoV/deviation → repeatability). Run-validity and
 * control-gap gates never supply a link: passing them proves the setup, not the claim.
 */
export const evidenceRoleOf = (r: GateResult): EvidenceRole | null => {
  if (r.evidence_role) return r.evidence_role
  if (r.blocker_group === 'run_validity' || r.blocker_group === 'control_gap' || r.blocker_group === 'harness_setup') return null
  if (REPEATABILITY_METRIC.test(r.metric)) return 'repeatability'
  if (INTEGRITY_METRIC.test(r.metric)) return 'answer_integrity'
  if (MECHANISM_METRIC.test(r.metric)) return 'mechanism'
  if (OS_METRIC.test(r.metric)) return 'os_corroboration'
  if (USER_IMPACT_METRIC.test(r.metric)) return 'user_impact'
  return null
}

/** Failed for verdict purposes: status fail, or a hard gate without data that did not allow it. */
export const gateFailed = (r: GateResult): boolean =>
  r.status === 'fail' || (r.status === 'no_data' && r.severity === 'hard' && r.allow_no_data !== true)

const tally = (rs: readonly GateResult[]): GateTally => ({
  total: rs.length,
  pass: rs.filter((r) => r.status === 'pass').length,
  fail: rs.filter((r) => r.status === 'fail').length,
  not_applicable: rs.filter((r) => r.status === 'not_applicable').length,
  no_data: rs.filter((r) => r.status === 'no_data').length,
  hard_fail: rs.filter((r) => r.severity === 'hard' && gateFailed(r)).length,
  soft_fail: rs.filter((r) => r.severity === 'soft' && gateFailed(r)).length,
})

const groupBlockers = (items: readonly (VerdictBlocker & { blocker_group: BlockerGroup })[]): Verdict['blockers'] =>
  BlockerGroup.options
    .map((g) => ({ blocker_group: g, gates: items.filter((b) => b.blocker_group === g).map(({ blocker_group: _, ...b }) => b) }))
    .filter((g) => g.gates.length > 0)

export const computeVerdict = (input: VerdictInput): Verdict => {
  const rs = input.gate_results
  const failed = rs.filter(gateFailed)
  const hardFailed = failed.filter((r) => r.severity === 'hard')
  const required = new Set<EvidenceRole>(input.required_evidence ?? DEFAULT_REQUIRED_EVIDENCE)

  const chainOf = (role: EvidenceRole): EvidenceStatus => {
    if (!required.has(role)) return 'not_required'
    const mine = rs.filter((r) => evidenceRoleOf(r) === role)
    if (mine.some(gateFailed)) return 'failed'
    if (mine.some((r) => r.status === 'pass')) return 'present'
    return mine.some((r) => r.status === 'no_data') ? 'not_assessed' : 'missing'
  }
  const chain = {
    mechanism: chainOf('mechanism'),
    os_corroboration: chainOf('os_corroboration'),
    user_impact: chainOf('user_impact'),
    repeatability: chainOf('repeatability'),
    answer_integrity: chainOf('answer_integrity'),
  }
  const chainComplete = ROLES.every((r) => chain[r] === 'present' || chain[r] === 'not_required')

  // A harness setup failure (working set fits the upper tiers) means the claim was never tested:
  // the run is not valid, and it is not a platform blocker either.
  const runValidityFailed = failed.some((r) => r.blocker_group === 'run_validity' || r.blocker_group === 'harness_setup')
  const run_valid = !input.interrupted && input.run_errors.length === 0 && !runValidityFailed
  const decision_grade = run_valid && hardFailed.length === 0 && chainComplete && !input.emulated
  const blocked = run_valid && hardFailed.some((r) => r.blocker_group !== 'run_validity' && r.blocker_group !== 'harness_setup')
  const nothingApplicable = rs.length > 0 && rs.every((r) => r.status === 'not_applicable') && rs.some((r) => r.reason_code === 'MODE_NOT_APPLICABLE')
  const outcome: VerdictOutcome = nothingApplicable ? 'not_applicable' : decision_grade ? 'evidence' : blocked ? 'blocked' : 'inconclusive'

  // A gate without data contributes GATE_NO_DATA, never its own failure code (KV_CORRUPTION…).
  const codeOf = (r: GateResult): string => (r.status === 'no_data' ? 'GATE_NO_DATA' : r.reason_code)
  const codes = new Set<string>(failed.map(codeOf))
  if (failed.some((r) => r.status === 'no_data')) codes.add('GATE_NO_DATA')
  if (input.emulated) codes.add('EMULATED_TARGET')
  if (input.interrupted) codes.add('RUN_INTERRUPTED')
  if (input.run_errors.length > 0) codes.add('RUN_ERRORS_PRESENT')
  const testFails = input.tests.filter((t) => t.state === 'fail').length
  if (testFails > 0) codes.add('TESTS_FAILED')
  if (nothingApplicable) codes.add('NOT_APPLICABLE')
  else
    for (const role of ROLES) {
      if (chain[role] === 'missing') codes.add(CHAIN_MISSING_CODE[role])
      if (chain[role] === 'not_assessed') codes.add(CHAIN_NOT_ASSESSED_CODE[role])
    }
  const reason_codes = [...codes].sort()

  const blockers = groupBlockers(
    failed.map((r) => ({
      blocker_group: r.blocker_group,
      suite_id: r.suite_id,
      gate_id: r.gate_id,
      reason_code: codeOf(r),
      severity: r.severity,
      scope: r.scope,
      message: r.message,
    })),
  )
  const why = reason_codes.length ? ` (${reason_codes.join(', ')})` : ''
  const summary = nothingApplicable
    ? `${input.suite_id}: NOT_APPLICABLE on this target; no phase could run in a mode the server runs.`
    : decision_grade
    ? `${input.suite_id}: decision-grade evidence; every hard gate passed and the evidence chain is complete.`
    : `${input.suite_id}: ${outcome}, run ${run_valid ? 'valid' : 'invalid'}, not decision-grade${why}.`
  return {
    suite_id: input.suite_id,
    emulated: input.emulated,
    run_valid,
    decision_grade,
    outcome,
    reason_codes,
    blockers,
    evidence_chain: chain,
    evidence_chain_complete: chainComplete,
    required_evidence: ROLES.filter((r) => required.has(r)),
    gates: tally(rs),
    tests: {
      total: input.tests.length,
      pass: input.tests.filter((t) => t.state === 'pass').length,
      fail: testFails,
      other: input.tests.filter((t) => t.state !== 'pass' && t.state !== 'fail').length,
    },
    interrupted: input.interrupted,
    run_errors: [...input.run_errors],
    summary,
  }
}

export const verdictJsonSchema = (): Record<string, unknown> => z.toJSONSchema(Verdict) as Record<string, unknown>

export const RunVerdict = z.object({
  run_valid: z.boolean(),
  decision_grade: z.boolean(),
  outcome: VerdictOutcome,
  emulated: z.boolean(),
  reason_codes: z.array(z.string()),
  suites: z.array(
    z.object({
      suite_id: z.string(),
      outcome: VerdictOutcome,
      run_valid: z.boolean(),
      decision_grade: z.boolean(),
      reason_codes: z.array(z.string()),
    }),
  ),
  blockers: Verdict.shape.blockers,
  gates: GateTally,
  summary: z.string(),
})
export type RunVerdict = z.infer<typeof RunVerdict>

/**
 * The run's verdict.json from its suites: valid and decision-grade only if every suite is (and
 * there is at least one); blocked if any suite is blocked; evidence only if every suite is.
 */
export const computeRunVerdict = (suites: readonly Verdict[]): RunVerdict => {
  const n = suites.length
  // Suites with nothing applicable on this target neither help nor hurt the others.
  const applicable = suites.filter((s) => s.outcome !== 'not_applicable')
  const run_valid = n > 0 && suites.every((s) => s.run_valid)
  const decision_grade = applicable.length > 0 && applicable.every((s) => s.decision_grade)
  const outcome: VerdictOutcome = suites.some((s) => s.outcome === 'blocked')
    ? 'blocked'
    : n > 0 && applicable.length === 0
      ? 'not_applicable'
      : applicable.length > 0 && applicable.every((s) => s.outcome === 'evidence')
        ? 'evidence'
        : 'inconclusive'
  const codes = new Set(suites.flatMap((s) => s.reason_codes))
  if (n === 0) codes.add('NO_SUITES')
  const reason_codes = [...codes].sort()
  const blockers = groupBlockers(suites.flatMap((s) => s.blockers.flatMap((b) => b.gates.map((g) => ({ ...g, blocker_group: b.blocker_group })))))
  const gates = suites.reduce<GateTally>(
    (a, s) => ({
      total: a.total + s.gates.total,
      pass: a.pass + s.gates.pass,
      fail: a.fail + s.gates.fail,
      not_applicable: a.not_applicable + s.gates.not_applicable,
      no_data: a.no_data + s.gates.no_data,
      hard_fail: a.hard_fail + s.gates.hard_fail,
      soft_fail: a.soft_fail + s.gates.soft_fail,
    }),
    { total: 0, pass: 0, fail: 0, not_applicable: 0, no_data: 0, hard_fail: 0, soft_fail: 0 },
  )
  const counts = VerdictOutcome.options.map((o) => `${suites.filter((s) => s.outcome === o).length} ${o}`).join(', ')
  return {
    run_valid,
    decision_grade,
    outcome,
    emulated: suites.some((s) => s.emulated),
    reason_codes,
    suites: suites.map((s) => ({ suite_id: s.suite_id, outcome: s.outcome, run_valid: s.run_valid, decision_grade: s.decision_grade, reason_codes: s.reason_codes })),
    blockers,
    gates,
    summary: `${n} suites: ${counts}; run ${run_valid ? 'valid' : 'invalid'}, ${decision_grade ? 'decision-grade' : 'not decision-grade'}.`,
  }
}

export const runVerdictJsonSchema = (): Record<string, unknown> => z.toJSONSchema(RunVerdict) as Record<string, unknown>
