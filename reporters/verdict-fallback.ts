import { z } from 'zod'
import { BlockerGroup, type GateResult } from '../helpers/gates/gate'

// Private stand-in for helpers/gates/verdict.ts (computeVerdict, computeRunVerdict, Verdict,
// verdictJsonSchema), which the analysis owner had not landed when the reporter was written. Same
// inputs and P6 semantics; swap the import in reporters/suite-verdict.ts once the real one exists.

export const VerdictBlocker = z.object({
  gate_id: z.string(),
  reason_code: z.string(),
  severity: z.enum(['hard', 'soft']),
  scope: z.string().nullable(),
  message: z.string(),
})
export type VerdictBlocker = z.infer<typeof VerdictBlocker>

export const Verdict = z.object({
  suite_id: z.string(),
  emulated: z.boolean(),
  run_valid: z.boolean(),
  decision_grade: z.boolean(),
  outcome: z.enum(['evidence', 'blocked', 'inconclusive']),
  reason_codes: z.array(z.string()),
  gates: z.object({
    total: z.number().int(),
    pass: z.number().int(),
    fail: z.number().int(),
    hard_fail: z.number().int(),
    soft_fail: z.number().int(),
    not_applicable: z.number().int(),
    no_data: z.number().int(),
  }),
  tests: z.object({ total: z.number().int(), passed: z.number().int(), failed: z.number().int(), skipped: z.number().int() }),
  evidence: z.object({
    mechanism: z.boolean(),
    os_corroboration: z.boolean(),
    user_visible_impact: z.boolean(),
    repeatability: z.boolean(),
  }),
  blockers: z.record(BlockerGroup, z.array(VerdictBlocker)),
})
export type Verdict = z.infer<typeof Verdict>

export const RunVerdict = z.object({
  run_valid: z.boolean(),
  decision_grade: z.boolean(),
  outcome: z.enum(['evidence', 'blocked', 'inconclusive']),
  reason_codes: z.array(z.string()),
  suites: z.array(z.object({ suite_id: z.string(), run_valid: z.boolean(), decision_grade: z.boolean(), outcome: z.string() })),
})
export type RunVerdict = z.infer<typeof RunVerdict>

export const verdictJsonSchema = (): Record<string, unknown> => z.toJSONSchema(Verdict) as Record<string, unknown>

export interface ComputeVerdictInput {
  suite_id: string
  emulated: boolean
  gate_results: GateResult[]
  tests: { name: string; state: string }[]
  interrupted: boolean
  run_errors: string[]
}

const USER_METRICS = /^(ttft|ttfb|ttfc|tpot|e2e|itl|req_per_s|output_tok_per_s|slo|u_work|knee)/

export const computeVerdict = (input: ComputeVerdictInput): Verdict => {
  const g = input.gate_results
  const failed = g.filter((r) => r.status === 'fail' || (r.status === 'no_data' && r.severity === 'hard'))
  const hardFail = failed.filter((r) => r.severity === 'hard')
  const passedIn = (group: BlockerGroup) => g.some((r) => r.status === 'pass' && r.blocker_group === group)
  const evidence = {
    mechanism: passedIn('mechanism_invisibility'),
    os_corroboration: passedIn('attribution_failure'),
    user_visible_impact: g.some((r) => r.status === 'pass' && USER_METRICS.test(r.metric)),
    repeatability: passedIn('reproducibility_failure'),
  }
  const codes = new Set<string>(failed.map((r) => r.reason_code))
  if (input.emulated) codes.add('EMULATED_TARGET')
  if (input.interrupted) codes.add('RUN_INTERRUPTED')
  if (input.run_errors.length) codes.add('RUN_ERRORS')
  const testsFailed = input.tests.filter((t) => t.state === 'failed').length
  if (input.tests.length === 0) codes.add('NO_TEST_RESULTS')
  const validityFailed = hardFail.some((r) => r.blocker_group === 'run_validity')
  const run_valid = !input.interrupted && input.run_errors.length === 0 && !validityFailed && input.tests.length > 0
  const chain = evidence.mechanism && evidence.os_corroboration && evidence.user_visible_impact && evidence.repeatability
  if (run_valid && !chain) codes.add('EVIDENCE_CHAIN_INCOMPLETE')
  const decision_grade = run_valid && hardFail.length === 0 && failed.length === 0 && chain && !input.emulated
  const blockers = Object.fromEntries(BlockerGroup.options.map((grp) => [grp, [] as VerdictBlocker[]])) as Verdict['blockers']
  for (const r of hardFail)
    blockers[r.blocker_group].push({ gate_id: r.gate_id, reason_code: r.reason_code, severity: r.severity, scope: r.scope, message: r.message })
  const count = (s: GateResult['status']) => g.filter((r) => r.status === s).length
  return {
    suite_id: input.suite_id,
    emulated: input.emulated,
    run_valid,
    decision_grade,
    outcome: hardFail.length > 0 ? 'blocked' : decision_grade ? 'evidence' : 'inconclusive',
    reason_codes: [...codes].sort(),
    gates: {
      total: g.length,
      pass: count('pass'),
      fail: count('fail'),
      hard_fail: hardFail.length,
      soft_fail: failed.length - hardFail.length,
      not_applicable: count('not_applicable'),
      no_data: count('no_data'),
    },
    tests: {
      total: input.tests.length,
      passed: input.tests.filter((t) => t.state === 'passed').length,
      failed: testsFailed,
      skipped: input.tests.filter((t) => t.state === 'skipped' || t.state === 'pending').length,
    },
    evidence,
    blockers,
  }
}

export const computeRunVerdict = (suites: Verdict[]): RunVerdict => ({
  run_valid: suites.length > 0 && suites.every((s) => s.run_valid),
  decision_grade: suites.length > 0 && suites.every((s) => s.decision_grade),
  outcome: suites.some((s) => s.outcome === 'blocked')
    ? 'blocked'
    : suites.length > 0 && suites.every((s) => s.outcome === 'evidence')
      ? 'evidence'
      : 'inconclusive',
  reason_codes: [...new Set(suites.flatMap((s) => s.reason_codes).concat(suites.length ? [] : ['NO_SUITES']))].sort(),
  suites: suites.map((s) => ({ suite_id: s.suite_id, run_valid: s.run_valid, decision_grade: s.decision_grade, outcome: s.outcome })),
})
