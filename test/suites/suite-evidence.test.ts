import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { loadRunConfig } from '../../helpers/config/load-run-config'
import type { Gate, GateResult } from '../../helpers/gates/gate'
import { EvidenceRole } from '../../helpers/gates/gate'
import { CHAIN_MISSING_CODE, computeRunVerdict, computeVerdict, evidenceRoleOf, type VerdictInput } from '../../helpers/gates/verdict'
import { captureHypotheses } from '../../helpers/suite/capture-hypotheses'
import { type HypothesisDefinition, planPhases, suiteGates } from '../../helpers/suite/define-hypothesis'
import type { RunContext } from '../../helpers/suite/run-context'
import { resolveSuiteSettings, type SuiteSettings } from '../../helpers/suite/suite-settings'
import { dossierMarkdown } from '../../reporters/dossier-markdown'
import { evaluateGate } from '../../helpers/gates/evaluate-gate'
import { repeatabilityChecks, repetitionGroup } from '../../helpers/suite/repetitions'
import { evidenceSectionOf, evidenceTableMarkdown, withEvidenceSection } from '../../helpers/suite/evidence-table'

// Every suite in suites/ (found on disk, so a new suite is covered the day it lands) names the
// evidence links its claim needs, its gates can supply each of them, and the verdict built from its
// gates behaves: all passing on a real target is decision-grade evidence; without any one required
// link it is not, and says which; emulated is never decision-grade; a failed hard blocker gate is
// `blocked` with a dossier entry.

const root = resolve(__dirname, '../..')
const suiteFiles = readdirSync(join(root, 'suites')).filter((f) => f.endsWith('.test.ts')).sort()

const settingsFor = (profile: 'smoke' | 'full'): SuiteSettings =>
  resolveSuiteSettings({ config: loadRunConfig({ cwd: root, env: { TIERBENCH_PROFILE: profile } }) } as unknown as RunContext)

const defs = new Map<string, HypothesisDefinition>()
let full: SuiteSettings
let smoke: SuiteSettings
beforeAll(async () => {
  for (const f of suiteFiles) {
    const got = await captureHypotheses(() => import(join(root, 'suites', f)))
    expect(got.length, `Expected suites/${f} to define one hypothesis, got ${got.length}`).toBe(1)
    defs.set(f, got[0])
  }
  full = settingsFor('full')
  smoke = settingsFor('smoke')
})

/** A result of `gate` as a clean real run would record it: passing, on a Dynamo target, in a mode it applies to. */
const passing = (suite: string, g: Gate): GateResult => ({
  gate_id: g.id,
  suite_id: suite,
  scope: null,
  metric: g.metric,
  expr: g.expr,
  severity: g.severity,
  reason_code: g.reason_code,
  blocker_group: g.blocker_group,
  status: 'pass',
  observed: 1,
  threshold: 1,
  message: `gate ${g.id}: holds`,
  evidence: { files: [], details: {} },
  wall_ms: 0,
  ...(g.allow_no_data !== undefined ? { allow_no_data: g.allow_no_data } : {}),
  ...(g.evidence_role !== undefined ? { evidence_role: g.evidence_role } : {}),
})

const cleanRun = (def: HypothesisDefinition, over: Partial<VerdictInput> = {}): VerdictInput => ({
  suite_id: def.id,
  emulated: false,
  gate_results: suiteGates(def, planPhases(def, full)).map((g) => passing(def.id, g)),
  tests: [{ name: 'phase', state: 'pass' }],
  interrupted: false,
  run_errors: [],
  required_evidence: def.evidence,
  ...over,
})

test('the suites directory holds the 20 plan suites (and picks up any added later)', () => {
  expect(suiteFiles.length).toBeGreaterThanOrEqual(20)
})

describe.each(suiteFiles)('suite %s', (file) => {
  const def = () => defs.get(file)!

  test('declares the evidence links its claim needs, each once', () => {
    const ev = def().evidence
    expect(ev, `Expected suites/${file} to declare evidence: [...] in defineHypothesis, got none`).toBeDefined()
    expect(ev!.length).toBeGreaterThan(0)
    expect(new Set(ev).size).toBe(ev!.length)
    for (const l of ev!) expect(EvidenceRole.options).toContain(l)
    // Every suite's claim must survive run-to-run noise.
    expect(ev).toContain('repeatability')
  })

  test('its declared gates can supply every required link', () => {
    const gates = suiteGates(def(), planPhases(def(), full))
    for (const link of def().evidence ?? []) {
      const suppliers = gates.filter((g) => evidenceRoleOf(passing(def().id, g)) === link).map((g) => g.id)
      expect(suppliers, `Expected a gate of suite ${def().id} to supply the ${link} link, got none among ${gates.map((g) => g.id).join(', ')}`).not.toEqual([])
    }
  })

  test('its page docs/suites/<id>.md shows the table "link → gate(s) that supply it" as the code has it', () => {
    const page = join(root, 'docs', 'suites', `${def().id}.md`)
    const want = evidenceTableMarkdown(def().evidence ?? [], suiteGates(def(), planPhases(def(), full)))
    // TIERBENCH_WRITE_DOCS=1 regenerates the section after a suite's gates or links change.
    if (process.env.TIERBENCH_WRITE_DOCS === '1') writeFileSync(page, withEvidenceSection(readFileSync(page, 'utf8'), want))
    const have = evidenceSectionOf(readFileSync(page, 'utf8'))
    expect(have, `Expected docs/suites/${def().id}.md to have an Evidence section; regenerate with TIERBENCH_WRITE_DOCS=1 npx vitest run --project unit test/suites/suite-evidence.test.ts`).toBe(want)
    expect(want).not.toContain('none — bug')
  })

  test('a clean non-emulated run in which every gate passes is decision-grade evidence', () => {
    const v = computeVerdict(cleanRun(def()))
    expect(v.reason_codes).toEqual([])
    expect(v).toMatchObject({ decision_grade: true, outcome: 'evidence', run_valid: true, evidence_chain_complete: true })
    expect(v.required_evidence.sort()).toEqual([...(def().evidence ?? [])].sort())
  })

  test('removing any one required link makes it not decision-grade, with that link\'s reason code', () => {
    for (const link of def().evidence ?? []) {
      const base = cleanRun(def())
      const v = computeVerdict({ ...base, gate_results: base.gate_results.filter((r) => evidenceRoleOf(r) !== link) })
      expect(v.decision_grade, link).toBe(false)
      expect(v.evidence_chain[link]).toBe('missing')
      expect(v.reason_codes).toContain(CHAIN_MISSING_CODE[link])
    }
  })

  test('the same clean run on the emulator is never decision-grade', () => {
    const v = computeVerdict(cleanRun(def(), { emulated: true }))
    expect(v.decision_grade).toBe(false)
    expect(v.outcome).not.toBe('evidence')
    expect(v.reason_codes).toEqual(['EMULATED_TARGET'])
  })

  test('each hard gate of a blocker group that fails makes the run blocked, with a dossier entry', () => {
    const gates = suiteGates(def(), planPhases(def(), full)).filter((g) => g.severity === 'hard' && g.blocker_group !== 'run_validity')
    expect(gates.length).toBeGreaterThan(0)
    for (const g of gates) {
      const base = cleanRun(def())
      const results = base.gate_results.map((r) => (r.gate_id === g.id ? { ...r, status: 'fail' as const, message: `gate ${g.id} (${g.reason_code}): failed` } : r))
      const v = computeVerdict({ ...base, gate_results: results })
      expect(v.outcome, g.id).toBe('blocked')
      expect(v.decision_grade).toBe(false)
      expect(v.blockers.find((b) => b.blocker_group === g.blocker_group)?.gates.map((x) => x.gate_id)).toContain(g.id)
      const md = dossierMarkdown('run-1', computeRunVerdict([v]), [{ suite_id: def().id, file: `suites/${file}`, target_kind: 'dynamo', verdict: v, gates: results }], false)
      expect(md).toContain(g.id)
      expect(md).toContain(g.reason_code)
    }
  })
})

describe.each(suiteFiles)('repetitions of suite %s', (file) => {
  const def = () => defs.get(file)!
  const loadMeasured = (s: SuiteSettings) => planPhases(def(), s).filter((p) => p.kind === 'measure' && !('run' in p))

  test('TIERBENCH_PROFILE=full runs every measured phase in 3 repetitions', () => {
    expect(full.profile.repetitions).toBe(3)
    const plans = planPhases(def(), full)
    const groups = new Map<string, number[]>()
    for (const p of loadMeasured(full)) {
      const key = p.repeats ?? repetitionGroup(p.name)
      groups.set(key, [...(groups.get(key) ?? []), p.repetition ?? -1])
    }
    for (const [key, reps] of groups) {
      expect(reps.includes(-1), `Expected every repetition of ${def().id}/${key} numbered, got ${reps}`).toBe(false)
      expect(new Set(reps).size, `Expected ${def().id}/${key} measured in >= 3 repetitions, got ${reps}`).toBeGreaterThanOrEqual(3)
    }
    // Phases whose body decides at run time what to measure (searches, AB/BA legs) are repeated whole.
    const custom = plans.filter((p) => 'run' in p)
    for (const p of custom) expect(p.repetition, `Expected ${def().id}/${p.name} to belong to a repetition`).toBeDefined()
    if (custom.length > 0) expect(new Set(custom.map((p) => p.repetition)).size).toBeGreaterThanOrEqual(3)
    expect(groups.size + custom.length).toBeGreaterThan(0)
    // Phase names stay unique after expansion (the DSL refuses duplicates).
    expect(new Set(plans.map((p) => p.name)).size).toBe(plans.length)
  })

  test('smoke runs one repetition, and its repeatability gates say "not assessed", never pass', () => {
    expect(smoke.profile.repetitions).toBe(1)
    expect(planPhases(def(), smoke).some((p) => p.repeatedByDsl)).toBe(false)
    const measured = loadMeasured(smoke).map((p) => ({ name: p.name, p99: 100 }))
    const results = repeatabilityChecks(measured, 1).map((c) =>
      evaluateGate(c.gate, { value: c.value, context: { suite_id: def().id, scope: c.scope, mode: 'B2', target_kind: 'dynamo' } }),
    )
    expect(results.map((r) => r.status)).toEqual(['no_data', 'no_data'])
    expect(results.every((r) => r.message.includes('not assessed (1 repetition)'))).toBe(true)
    const v = computeVerdict({ ...cleanRun(def()), gate_results: [...cleanRun(def()).gate_results.filter((r) => evidenceRoleOf(r) !== 'repeatability'), ...results] })
    expect(v.evidence_chain.repeatability).toBe('not_assessed')
    expect(v.reason_codes).toContain('REPEATABILITY_NOT_ASSESSED')
    expect(v.decision_grade).toBe(false)
  })

  test('full: the CoV and p99-within-5 % gates are evaluated on every repeated phase and reach the verdict', () => {
    const measured = loadMeasured(full).map((p) => ({ name: p.name, ...(p.repeats ? { repeats: p.repeats } : {}), p99: 200 + 4 * (p.repetition ?? 0) }))
    if (measured.length === 0) {
      // AB/BA legs and searches: their measured phases exist only at run time (grouping tested in test/helpers/suite/repetitions.test.ts).
      expect(planPhases(def(), full).some((p) => 'run' in p)).toBe(true)
      return
    }
    const results = repeatabilityChecks(measured, 3).map((c) =>
      evaluateGate(c.gate, { value: c.value, context: { suite_id: def().id, scope: c.scope, mode: 'B2', target_kind: 'dynamo' } }),
    )
    expect(results.length).toBeGreaterThan(0)
    expect(results.every((r) => r.status === 'pass' && r.observed !== null)).toBe(true)
    expect(new Set(results.map((r) => r.gate_id))).toEqual(new Set(['cov_p99', 'reproducible_p99']))
    const base = cleanRun(def())
    const v = computeVerdict({ ...base, gate_results: [...base.gate_results.filter((r) => evidenceRoleOf(r) !== 'repeatability'), ...results] })
    expect(v.evidence_chain.repeatability).toBe('present')
    expect(v.decision_grade).toBe(true)
  })
})
