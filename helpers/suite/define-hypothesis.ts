import { mkdirSync, writeFileSync } from 'node:fs'
import { relative } from 'node:path'
import { type TestContext, afterAll, beforeAll, describe, test } from 'vitest'
import { type KvMode, type KvModeId, KV_MODE_LABELS } from '../config/kv-mode'
import { type SuiteLayout, runLayout } from '../bundle/layout'
import { type JsonlWriter, appendJsonl, createJsonlWriter } from '../bundle/jsonl-writer'
import { updateManifest } from '../bundle/manifest'
import type { PhaseRecord } from '../bundle/phase-record'
import type { SuiteInfo } from '../bundle/suite-info'
import type { RequestRecord } from '../client/request-record'
import type { EvidenceRole, Gate, GateResult } from '../gates/gate'
import type { TargetInfo } from '../target/target'
import type { TagName } from './tags'
import { type RunContext, getRunContext } from './run-context'
import { type SuiteSettings, resolveSuiteSettings } from './suite-settings'
import { ContentionUnavailableError } from '../storage/contention-unavailable-error'
import { evaluateGate } from '../gates/evaluate-gate'
import { hostLoadProblems, measureHostLoad } from './host-preflight'
import { type SuiteRuntime, createSuiteRuntime } from './suite-runtime'
import type { ExecutorSpec } from '../load/executor-spec'
import type { Workload } from '../workload/workload-types'
import type { CollectorName } from '../telemetry/collector'
import type { PhaseSummary } from '../analysis/phase-summary'
import { expectGate } from '../gates/expect-gate'
import {
  GATE_ALIGNMENT,
  GATE_CLIENT_OVERHEAD,
  GATE_COV_P99,
  GATE_ERROR_RATE,
  GATE_KVBM_METRICS,
  GATE_REPRODUCIBLE_P99,
  GATE_REQUEST_STALL,
  GATE_SCHEDULE_DELAY,
  GATE_TIER_PLAN_FITS,
  GATE_WORKING_SET,
} from '../gates/catalog'
import { activeCapture } from './capture-hypotheses'
import { expandRepetitions, inheritRepetition, managesOwnRepetitions, repeatabilityChecks, repetitionGroup } from './repetitions'
import { KVBM_EXPECTED_COUNTERS } from '../telemetry/kvbm-deltas'
import { isModeNotApplicable } from '../target/mode-not-applicable'
import { GATE_PREFIX_CACHE_CONTAMINATION, prefixContamination } from '../gates/prefix-contamination'
import type { EffectiveTiers, TierPlan } from '../tiers/tier-plan'
import { type WorkingSetClaim, checkWorkingSet } from '../tiers/working-set'
import { checkTierPlanFitsMachine, readMachineCapacity } from '../tiers/machine-preflight'
import { effectiveTiersFor } from '../tiers/effective-tiers'
import { diskBytesDivisor } from './create-target'

// defineHypothesis turns a test-plan hypothesis into a Vitest describe block that reads like the
// plan: beforeAll starts the target and the collectors, one test per phase runs load and checks
// the phase's gates, a last test draws the conclusion, afterAll stops everything. Raw records are
// appended as they happen, so an interrupted suite still leaves a readable bundle.

export interface PhaseContext {
  settings: SuiteSettings
  target: TargetInfo
  /** Results of the phases that already ran in this suite, by name. */
  phases: ReadonlyMap<string, PhaseOutcome>
}

export interface PhaseGateInput {
  values?: number[]
  value?: number | null
  details?: Record<string, unknown>
}

interface PhaseBase {
  name: string
  kind: 'warmup' | 'measure' | 'probe'
  /** Mode id, or a KvMode with tier overrides (H6). A change restarts the worker with a fresh cache. */
  mode: KvModeId | KvMode
  leg?: string
  /**
   * The phase's result does not depend on cache state left by earlier phases (every prompt unique,
   * e.g. per-request nonces), so an environment-invalid attempt may be re-run in place, without a
   * fresh mode. @default false
   */
  cacheIndependent?: boolean
  /** Repetition index (the DSL numbers from 0). Set it to manage repetitions yourself; otherwise the DSL repeats the whole sequence (repetitions.ts). */
  repetition?: number
  /** Set by the DSL on the phases of a sequence it repeated. */
  repeatedByDsl?: boolean
  /** Key shared by phases that repeat one configuration (repeatability gates). @default the name without `-r<k>` */
  repeats?: string
  step?: Record<string, number | string>
  /** fio contention profile (configs/fio/<name>.fio) running for the whole phase. */
  contention?: string
  /** Emulator-only runtime faults for this phase (kvsim's --faults grammar). */
  faults?: string
  /**
   * Nonces are unique per run, suite, phase, step and repetition. Phases that must send the same
   * requests (one workload compared across modes, each on a fresh cache) share a scope name here.
   */
  nonceScope?: string
  /** Restart the worker (fresh cache) even when the mode does not change. */
  restart?: boolean
  /**
   * Extra worker environment (a change restarts the worker). Not for tier sizes or engine limits:
   * those are `tiers`, `maxInputTokens` and `realBlockIo`, which every driver maps to its own words
   * (suites never name an emulator-only variable).
   */
  targetEnv?: Record<string, string>
  /**
   * The phase's tier plan in the harness's words (device KV tokens, host/disk tier bytes, eviction
   * policy) over its mode's sizes. Each driver maps it (kvsim env, TRT-LLM kv_cache_config.max_tokens,
   * DYN_KVBM_*); a change restarts the worker.
   */
  tiers?: Partial<TierPlan>
  /**
   * The working set the phase sends and the tiers it must overflow: checked against the capacities
   * the driver reports before any load (fails fast with WORKING_SET_FITS_UPPER_TIERS).
   */
  workingSet?: WorkingSetClaim
  /** Largest prompt the engine must accept (dataset L); drivers map it to their own limit. */
  maxInputTokens?: number
  /** The claim needs disk reads of real block size (kvsim then stops shrinking G3 blocks by its IO scale). */
  realBlockIo?: boolean
  /** Runs after the mode is applied and before load starts (washout, cache drop, preflight). */
  before?: (api: PhaseApi) => void | Promise<void>
}

/** A phase that sends load: a workload on an executor. */
export interface LoadPhasePlan extends PhaseBase {
  workload: (ctx: PhaseContext) => Workload
  executor: ExecutorSpec
  /** Gates on this phase alone, evaluated right after it. */
  gates?: { gate: Gate; input: (outcome: PhaseOutcome, ctx: PhaseContext) => PhaseGateInput }[]
}

/**
 * A phase whose body is code: searches (SLO capacity: bracket then bisect), preflights (dataset L),
 * or sequences decided at run time. Each `api.runPhase` inside it is recorded as its own phase.
 */
export interface CustomPhasePlan extends PhaseBase {
  run: (api: PhaseApi) => Promise<void>
}

export type PhasePlan = LoadPhasePlan | CustomPhasePlan

/** What custom phase bodies and `before` hooks can do. */
export interface PhaseApi extends PhaseContext {
  /** Run one load phase now (mode applied as needed), recorded and gated like a declared one. */
  runPhase: (plan: LoadPhasePlan) => Promise<PhaseOutcome>
  /** Evaluate, record and assert one gate; hard failures fail this test after the body finishes. */
  gate: (gate: Gate, input: PhaseGateInput & { scope?: string | null }) => GateResult
  note: (key: string, value: unknown) => void
  /** Appends an event line to the suite's raw/events.jsonl. */
  event: (type: string, data: Record<string, unknown>) => void
  layout: SuiteLayout
}

export interface PhaseOutcome {
  plan: LoadPhasePlan
  record: PhaseRecord
  summary: PhaseSummary
  /** Records kept in memory for suite-level analysis (integrity, knees). */
  requests: RequestRecord[]
}

export interface ConcludeContext {
  settings: SuiteSettings
  target: TargetInfo | null
  /**
   * Results of the phases, by name. When the DSL repeated the sequence, conclude runs once per
   * repetition and sees that repetition's phases under their unsuffixed names.
   */
  phases: ReadonlyMap<string, PhaseOutcome>
  /** 0-based repetition this conclusion judges; null when the suite manages its own repetitions. */
  repetition: number | null
  layout: SuiteLayout
  /** Evaluate, record and assert one gate (hard gates fail the conclusion test). */
  gate: (gate: Gate, input: PhaseGateInput & { scope?: string | null }) => GateResult
  /** Record a soft figure for the report (`figures` in suite events). */
  note: (key: string, value: unknown) => void
}

export interface HypothesisDefinition {
  /** Suite id: folder name in the bundle and the hypothesis tag (`h2b`, `reuse_verify`). */
  id: string
  /** `<ID>: <claim in one sentence>` — the describe title. */
  title: string
  tags: TagName[]
  /** Collectors this suite starts. @default the standard set */
  collectors?: CollectorName[]
  /** Chart ids the reporter draws (reporters/figure-catalog.ts). */
  charts?: string[]
  /** Phases, computed at collection time from the resolved settings. */
  phases: (settings: SuiteSettings) => PhasePlan[]
  /** Suite-level gates and figures after the last phase. */
  conclude?: (ctx: ConcludeContext) => void | Promise<void>
  /** Gates the conclusion evaluates, declared so suite.json and the README can list them. */
  gates?: Gate[]
  /** The suite sends LoRA adapter requests: the emulator lays out its adapter files before the first phase. @default false */
  lora?: boolean
  /** Run-validity gates on every measured phase (errors, stalls, KVBM reachability, client delay). @default true */
  standardGates?: boolean
  /**
   * The evidence-chain links this suite's claim needs (its plan section): the verdict holds the
   * suite to exactly these. Every suite declares them; test/suites/suite-evidence.test.ts checks that the
   * suite's gates can supply each one and docs/suites/<id>.md shows which gates do.
   */
  evidence?: EvidenceRole[]
}

/** Judged on every suite after its conclusion: CoV(TTFT p99) and p99-within-5 % across repetitions. */
export const REPEATABILITY_GATES: Gate[] = [GATE_COV_P99, GATE_REPRODUCIBLE_P99]

/** Seed of repetition r (0-based): the run's seed for the first, then one more per repetition. */
export const repetitionSeed = (settings: SuiteSettings, r: number): number => settings.seed + r

/** The phases a suite runs under these settings, repetitions expanded (what the tests below run). */
export const planPhases = (def: HypothesisDefinition, settings: SuiteSettings): PhasePlan[] => {
  const first = def.phases(settings)
  const n = settings.profile.repetitions
  if (n <= 1 || managesOwnRepetitions(first)) return first
  const reseeded = (seed: number) => resolveSuiteSettings({ config: { ...settings.config, seed } } as unknown as RunContext)
  return expandRepetitions([first, ...Array.from({ length: n - 1 }, (_, i) => def.phases(reseeded(repetitionSeed(settings, i + 1))))])
}

/** Every gate a suite can evaluate: standard phase gates, its declared and phase gates, repeatability. */
export const suiteGates = (def: HypothesisDefinition, plans: readonly PhasePlan[]): Gate[] =>
  dedupeGates([
    ...(def.standardGates !== false ? STANDARD_PHASE_GATES.map((g) => g.gate) : []),
    ...(def.gates ?? []),
    ...plans.flatMap((p) => ('gates' in p && p.gates ? p.gates.map((g) => g.gate) : [])),
    ...REPEATABILITY_GATES,
  ])

/** Reason codes of standard gates that judge the harness's own environment: a measured phase failing one is re-run once (when it starts from a fresh mode). */
export const ENVIRONMENT_REASON_CODES: readonly string[] = ['CLIENT_BOTTLENECK', 'ALIGNMENT_LOW']

/** Evaluated on every `measure` phase unless a suite opts out: a run that fails these is not evidence. */
export const STANDARD_PHASE_GATES: { gate: Gate; input: (o: PhaseOutcome) => PhaseGateInput }[] = [
  { gate: GATE_ERROR_RATE, input: (o) => ({ value: o.summary.error_rate, details: { errors_by_class: o.summary.errors_by_class } }) },
  { gate: GATE_REQUEST_STALL, input: (o) => ({ value: o.summary.stalled, details: { errors_by_class: o.summary.errors_by_class } }) },
  {
    // No data only for phases too short to align (search probes); a long phase at 0 % still fails.
    gate: { ...GATE_ALIGNMENT, allow_no_data: true },
    input: (o) => ({
      value: o.record.alignment?.aligned_pct ?? null,
      details: { per_collector: o.record.alignment?.per_collector ?? {}, reason: o.record.alignment?.reason ?? null },
    }),
  },
  {
    gate: GATE_KVBM_METRICS,
    // Reachable means the backend's required series were scraped, not merely that some deltas exist:
    // KVBM needs every expected counter name; another backend needs at least one normalised tier counter.
    input: (o) => {
      const kvbmMissing = o.record.missing_metrics.kvbm ?? []
      const tiers = o.record.deltas.tiers
      const ok = o.record.deltas.kvbm
        ? !kvbmMissing.some((n) => (KVBM_EXPECTED_COUNTERS as readonly string[]).includes(n))
        : !!tiers && Object.values(tiers).some((v) => v !== null)
      return { value: ok ? 1 : 0, details: { missing: kvbmMissing, unavailable_tier_counters: o.record.missing_metrics.tiers ?? [] } }
    },
  },
  {
    gate: GATE_PREFIX_CACHE_CONTAMINATION,
    input: (o) => prefixContamination(o.requests),
  },
  {
    gate: GATE_SCHEDULE_DELAY,
    input: (o) => ({ values: o.requests.map((r) => r.schedule_delay_ms), details: { schedule_delay_ms: o.summary.schedule_delay_ms } }),
  },
  {
    gate: GATE_CLIENT_OVERHEAD,
    input: (o) => ({
      values: o.requests.flatMap((r) =>
        r.ok && r.server_timing?.first_token_ms != null && r.t_first_token_ms != null ? [r.t_first_token_ms - r.server_timing.first_token_ms] : [],
      ),
      details: { client_overhead_ms: o.summary.client_overhead_ms },
    }),
  },
]

export const STANDARD_COLLECTORS: CollectorName[] = ['block_device', 'cpu', 'memory', 'process_io', 'kvbm', 'frontend', 'gpu', 'cache_dir']

/** A preflight refused the phase; its gate is already recorded, so the test only rethrows. */
export class TierPreflightError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`)
  }
}

const sameMode = (a: KvMode | null, b: KvMode): boolean => a !== null && JSON.stringify(a) === JSON.stringify(b)

export const defineHypothesis = (def: HypothesisDefinition): void => {
  const capture = activeCapture()
  if (capture) {
    capture.push(def)
    return
  }
  const run = getRunContext()
  const settings = resolveSuiteSettings(run)
  const plans = planPhases(def, settings)
  const dslRepeated = plans.some((p) => p.repeatedByDsl)
  const plannedModes = [...new Set(plans.map((p) => (typeof p.mode === 'string' ? p.mode : p.mode.id)))]
  const names = new Set<string>()
  for (const p of plans) {
    if (names.has(p.name)) throw new Error(`Expected unique phase names in suite ${def.id}, got "${p.name}" twice`)
    names.add(p.name)
  }
  const layout = runLayout(run.runDir).suite(def.id)
  const collectors = def.collectors ?? STANDARD_COLLECTORS

  describe(def.title, { tags: def.tags }, () => {
    let rt: SuiteRuntime | null = null
    let requestsWriter: JsonlWriter | null = null
    let currentMode: KvMode | null = null
    let currentFaults: string | undefined
    let currentEnv = '{}'
    let currentTiers: { plan: TierPlan; effective: EffectiveTiers } | null = null
    const outcomes = new Map<string, PhaseOutcome>()
    /** Phases whose mode this target cannot run, with the reason ("not applicable on this target"). */
    const notApplicable = new Map<string, string>()
    /** Set when a precondition gate failed (dataset L preflight): later phases are not run. */
    let stoppedBy: string | null = null
    /** Whether a gate's scope (`a,b`, `reuse_*`, null = the whole suite) reads a not-applicable phase. */
    const scopeNotApplicable = (scope: string | null): boolean => {
      if (notApplicable.size === 0) return false
      if (scope === null) return outcomes.size === 0
      return scope.split(/,| vs /).some((part) => {
        const re = new RegExp(`^${part.trim().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`)
        return [...notApplicable.keys()].some((n) => re.test(n))
      })
    }

    const recordGate = (r: GateResult) => appendJsonl(layout.gates, r)
    let suiteFile = ''
    const startedWallMs = Date.now()
    /** suite.json, rewritten when the target comes up so it carries the real target and emulated flag. */
    const writeSuiteInfo = (file?: string) => {
      if (file !== undefined) suiteFile = relative(process.cwd(), file)
      const t = rt?.targetInfo() ?? null
      const info: SuiteInfo = {
        suite_id: def.id,
        hypothesis: def.id,
        title: def.title,
        tags: [...def.tags],
        run_id: run.runId,
        file: suiteFile,
        profile: settings.profileName,
        emulated: rt?.emulated ?? settings.targetKind === 'emulator',
        target: t ? { ...t } : { kind: settings.targetKind },
        collectors,
        gates: suiteGates(def, plans),
        ...(def.evidence ? { required_evidence: [...def.evidence] } : {}),
        repetitions: settings.profile.repetitions,
        charts: def.charts ?? [],
        started_wall_ms: startedWallMs,
      }
      writeFileSync(layout.suiteInfo, `${JSON.stringify(info, null, 2)}\n`)
      // The manifest says which suites ran, in which KV modes, against what (provenance as the target reports it,
      // including its warnings, e.g. the Dynamo driver's DYNAMO_VERSION_UNKNOWN).
      updateManifest(runLayout(run.runDir).manifest, (m) => ({
        ...m,
        ...(info.emulated && !m.emulated ? { emulated: true, reason_codes: [...new Set([...m.reason_codes, 'EMULATED_TARGET'])] } : {}),
        suites: m.suites.includes(def.id) ? m.suites : [...m.suites, def.id],
        kv_modes: { ...(m.kv_modes ?? {}), [def.id]: [...new Set([...(m.kv_modes?.[def.id] ?? plannedModes), ...appliedModes])] },
        provenance: t ? { ...m.provenance, [def.id]: targetProvenance(t) } : m.provenance,
      }))
    }
    const appliedModes = new Set<string>()
    const event = (type: string, data: Record<string, unknown>) =>
      appendJsonl(layout.events, { type, wall_ms: Date.now(), t_ms: rt?.clock.nowMs() ?? null, ...data })

    // suite_budget_s: over budget is recorded (soft gate); at BUDGET_HARD_FACTOR x budget the
    // remaining load is stopped (SUITE_BUDGET_EXCEEDED), so a smoke suite cannot run for minutes.
    const budgetS = settings.profile.suite_budget_s
    const budget = new AbortController()
    let budgetTimer: NodeJS.Timeout | null = null

    beforeAll(async ({}, suite) => {
      if (budgetS !== null) {
        budgetTimer = setTimeout(() => budget.abort(new Error('SUITE_BUDGET_EXCEEDED')), budgetS * BUDGET_HARD_FACTOR * 1000)
        budgetTimer.unref()
      }
      mkdirSync(layout.root, { recursive: true })
      // Deferred: records are serialised after the poll phase, off the client's timestamping path.
      requestsWriter = createJsonlWriter(runLayout(run.runDir).requests, { deferred: true })
      rt = await createSuiteRuntime({ run, settings, suiteId: def.id, layout, collectors, lora: def.lora === true })
      writeSuiteInfo(suite.file?.filepath ?? '')
      suite.meta.tierbenchSuite = { suite_id: def.id, run_dir: run.runDir, title: def.title, emulated: rt.emulated }
      // The order phases (and repetitions) run in, recorded before any runs.
      event('suite_start', {
        suite_id: def.id,
        phases: plans.map((p) => p.name),
        repetitions: settings.profile.repetitions,
        repeated_by: dslRepeated ? 'dsl' : 'suite',
        seed: settings.seed,
        repetition_seeds: dslRepeated ? [...Array(settings.profile.repetitions).keys()].map((r) => repetitionSeed(settings, r)) : null,
      })
    })

    afterAll(async ({}, suite) => {
      if (budgetTimer) clearTimeout(budgetTimer)
      if (budgetS !== null)
        recordGate(
          evaluateGate(GATE_SUITE_BUDGET, {
            value: (Date.now() - startedWallMs) / 1000 / budgetS,
            context: { suite_id: def.id, scope: null, mode: currentMode?.id ?? 'B0', target_kind: settings.targetKind },
            evidence: { files: [rel(run.runDir, layout.events)], details: { elapsed_s: (Date.now() - startedWallMs) / 1000, suite_budget_s: budgetS, profile: settings.profileName } },
          }),
        )
      try {
        if (rt) {
          const t = rt.targetInfo()
          suite.meta.tierbenchSuite = {
            suite_id: def.id,
            run_dir: run.runDir,
            title: def.title,
            emulated: rt.emulated,
            target: t ? { ...t } : null,
          }
          await rt.close()
        }
      } finally {
        requestsWriter?.close()
        event('suite_end', { suite_id: def.id })
      }
    })

    /** The phase the mode was (re)applied for: it starts from a wiped cache, so it can be re-run from the same start. */
    let modeAppliedFor: string | null = null
    /**
     * Top-level phases run since the mode was last applied, in order. A measured phase spoiled by the
     * environment that builds only on warm-up load phases (and checks: probes) since then can be re-run
     * from the same start: mode re-applied (cache wiped), those warm-ups replayed, then the phase.
     */
    let sinceMode: { name: string; kind: PhaseBase['kind']; load: LoadPhasePlan | null }[] = []
    /** Standard gates whose failure means the harness's environment, not the product, spoiled a phase. */
    const environmentProblems = (o: PhaseOutcome, modeId: string): string[] =>
      STANDARD_PHASE_GATES.filter((g) => ENVIRONMENT_REASON_CODES.includes(g.gate.reason_code)).flatMap((g) => {
        const input = g.input(o)
        const r = evaluateGate(g.gate, { values: input.values, value: input.value, context: { suite_id: def.id, scope: o.plan.name, mode: modeId, target_kind: settings.targetKind } })
        return r.status === 'fail' ? [`${g.gate.id} (${g.gate.reason_code}) ${g.gate.metric} observed ${r.observed === null ? 'none' : Math.round(r.observed * 10) / 10} against ${g.gate.expr}`] : []
      })

    const ensureMode = async (plan: PhaseBase, gate?: ReturnType<typeof gater>) => {
      const { mode, plan: tierPlan } = settings.phaseTiers(plan.mode, plan.tiers)
      const env = JSON.stringify({ env: plan.targetEnv ?? {}, tiers: tierPlan, max: plan.maxInputTokens ?? null, io: plan.realBlockIo ?? false })
      if (!sameMode(currentMode, mode) || plan.restart || plan.faults !== currentFaults || env !== currentEnv) {
        // Refuse a plan the machine cannot hold before any worker starts.
        const t = settings.config.target
        const diskDir = t.kind === 'dynamo' ? String((t.dynamo as { cache_dir?: string }).cache_dir ?? '/mnt/nvme/kvbm') : run.scratchDir
        const refusal = checkTierPlanFitsMachine(tierPlan, readMachineCapacity(diskDir), {
          diskBytesDivisor: diskBytesDivisor(settings, plan.realBlockIo),
          diskDir,
          // kvsim can write smaller blocks: the one knob that makes a full run fit a workstation disk.
          ...(t.kind === 'emulator' && !plan.realBlockIo
            ? { diskHint: `on kvsim, a smaller target.io_scale (TIERBENCH_CONFIG: target: {io_scale: 0.1}) writes blocks of that fraction of their size` }
            : {}),
        })
        gate?.(GATE_TIER_PLAN_FITS, { value: refusal ? 0 : 1, details: { tier_plan: tierPlan, refusal: refusal?.message ?? null } })
        if (refusal) throw new TierPreflightError(refusal.code, refusal.message)
        event('apply_mode', { mode, faults: plan.faults ?? null, target_env: plan.targetEnv ?? {}, tier_plan: tierPlan, phase: plan.name, repetition: plan.repetition ?? null })
        const info = await rt!.applyMode(mode, { faults: plan.faults, env: plan.targetEnv, tiers: tierPlan, maxInputTokens: plan.maxInputTokens, realBlockIo: plan.realBlockIo })
        modeAppliedFor = plan.name
        sinceMode = []
        appliedModes.add(mode.id)
        const effective = effectiveTiersFor(info, settings.expectedTiers(mode, plan.tiers))
        currentTiers = { plan: tierPlan, effective }
        event('effective_tiers', { phase: plan.name, mode: mode.id, tier_plan: tierPlan, effective })
        updateManifest(runLayout(run.runDir).manifest, (m) => ({
          ...m,
          tiers: { ...(m.tiers ?? {}), [`${def.id}/${plan.name}`]: { mode: mode.id, plan: tierPlan, effective } },
        }))
        writeSuiteInfo()
        currentMode = mode
        currentFaults = plan.faults
        currentEnv = env
      }
      return mode
    }

    /** Before load: the phase's working set must overflow the tiers its claim names, on the capacities the driver reported. */
    const preflightWorkingSet = (plan: PhaseBase, gate: ReturnType<typeof gater>) => {
      if (!plan.workingSet || !currentTiers) return null
      const check = checkWorkingSet(plan.workingSet, currentTiers.effective)
      const need = check.upper_tokens === null ? null : plan.workingSet.factor * check.upper_tokens
      gate(check.ok ? GATE_WORKING_SET : { ...GATE_WORKING_SET, reason_code: check.code }, {
        // The ratio to what the claim needs (< 1 fails); a disk tier too small for the working set is 0.
        value: need === null ? null : !check.ok && check.code === 'WORKING_SET_EXCEEDS_DISK_TIER' ? 0 : plan.workingSet.tokens / need,
        details: { working_set: plan.workingSet, effective: currentTiers.effective, tier_plan: currentTiers.plan, check: check.message },
      })
      if (!check.ok) throw new TierPreflightError(check.code, check.message)
      return check
    }

    /** One gate evaluator per test: records every result, collects hard failures to throw at the end. */
    const gater = (ctx: TestContext, failures: string[], defaultScope: string | null) =>
      (gate: Gate, input: PhaseGateInput & { scope?: string | null }): GateResult => {
        const scope = input.scope === undefined ? defaultScope : input.scope
        const empty = (input.values === undefined || input.values.length === 0) && (input.value === undefined || input.value === null)
        // No data because the phases it reads were not applicable on this target: not applicable, never a failure.
        if (empty && scopeNotApplicable(scope)) {
          const r = evaluateGate({ ...gate, applies_to: { targets: [] } }, {
            context: { suite_id: def.id, scope, mode: currentMode?.id ?? 'B0', target_kind: settings.targetKind },
            evidence: { files: [rel(run.runDir, layout.events)], details: { ...(input.details ?? {}), not_applicable_phases: Object.fromEntries(notApplicable) } },
          })
          const result = { ...r, message: `gate ${gate.id}: not applicable (reads phases not run or not applicable on this target: ${[...notApplicable.keys()].join(', ')})` }
          ;(ctx.task.meta.tierbenchGates ??= []).push(result as unknown as Record<string, unknown>)
          recordGate(result)
          return result
        }
        try {
          return expectGate(
            ctx,
            gate,
            {
              values: input.values,
              value: input.value,
              context: {
                suite_id: def.id,
                scope: input.scope === undefined ? defaultScope : input.scope,
                mode: currentMode?.id ?? 'B0',
                target_kind: settings.targetKind,
              },
              evidence: {
                files: [rel(run.runDir, layout.phases), ...(defaultScope ? [rel(run.runDir, layout.phaseDeltas(defaultScope))] : [])],
                details: input.details ?? {},
              },
            },
            (r) => {
              recordGate({ ...r, source: defaultScope === null ? 'suite' : 'phase' })
              // Dataset L: once the target cannot serve the long prompts, sending them proves nothing.
              if (r.status !== 'pass' && STOPS_SUITE.has(r.reason_code)) stoppedBy ??= `${r.reason_code} in ${r.scope ?? 'the suite'}`
            },
          )
        } catch (err) {
          // Evaluate every gate before failing, so one failure does not hide the next.
          failures.push((err as Error).message)
          return { status: 'fail' } as GateResult
        }
      }

    const apiFor = (ctx: TestContext, failures: string[], scope: string, outer: PhaseBase): PhaseApi => ({
      settings,
      target: rt!.targetInfo()!,
      phases: outcomes,
      layout,
      runPhase: (sub) => executeLoadPhase(inheritRepetition(sub, outer), ctx, failures),
      gate: gater(ctx, failures, scope),
      note: (key, value) => event('figure', { key, value, phase: scope }),
      event,
    })

    const executeLoadPhase = async (plan: LoadPhasePlan, ctx: TestContext, failures: string[], topLevel = false): Promise<PhaseOutcome> => {
      if (outcomes.has(plan.name)) throw new Error(`Expected unique phase names in suite ${def.id}, got "${plan.name}" twice`)
      const gatePre = gater(ctx, failures, plan.name)
      const mode = await ensureMode(plan, gatePre)
      const check = preflightWorkingSet(plan, gatePre)
      if (plan.before) await plan.before(apiFor(ctx, failures, plan.name, plan))
      const target = rt!.targetInfo()!
      const phaseCtx: PhaseContext = { settings, target, phases: outcomes }
      const freshState = modeAppliedFor === plan.name
      // Warm-ups to replay before a re-run: only when everything since the mode was applied was a
      // warm-up load phase or a probe (a check that builds no state this phase relies on).
      const replay = topLevel && !freshState && sinceMode.length > 0 && sinceMode.every((p) => (p.kind === 'warmup' && p.load) || p.kind === 'probe')
        ? sinceMode.filter((p) => p.kind === 'warmup').map((p) => p.load as LoadPhasePlan)
        : null
      const phaseSignal = AbortSignal.any([ctx.signal, budget.signal])
      let hostProblems: string[] = []
      if (plan.kind === 'measure') {
        // How busy the host was just before this phase: the report names phases that started on a
        // loaded host, so a timing-gate failure there reads as the environment, not the product.
        const host = await measureHostLoad(200)
        hostProblems = hostLoadProblems(host)
        event('host_load', { phase: plan.name, ...host, problems: hostProblems })
      }
      const tiers = currentTiers ? { plan: currentTiers.plan, effective: currentTiers.effective, working_set: plan.workingSet ? { ...plan.workingSet } : null, check: check?.message ?? null } : null
      let outcome = await rt!.runPhase(plan, phaseCtx, requestsWriter!, phaseSignal, 1, tiers)
      const invalid = plan.kind === 'measure' && !outcome.record.stop_reason && !ctx.signal.aborted ? environmentProblems(outcome, mode.id) : []
      if (invalid.length) {
        const reasons = [...invalid, ...hostProblems.map((p) => `host before the phase: ${p}`)]
        if (freshState || plan.cacheIndependent || replay) {
          // The harness's own environment spoiled the first attempt (client lag, late telemetry):
          // run it once more from the same start (mode re-applied, cache wiped, the warm-ups since the
          // mode replayed). The first attempt's raw records stay, marked by this event; the reporter
          // uses the second attempt of the phase and of every replayed warm-up.
          const replayed = !freshState && !plan.cacheIndependent && replay ? replay : []
          event('phase_rerun', {
            phase: plan.name,
            attempt: 1,
            reasons,
            fresh_mode: freshState,
            replayed: replayed.map((w) => w.name),
            first_attempt: { requests: outcome.record.requests, t_start_ms: outcome.record.t_start_ms, t_end_ms: outcome.record.t_end_ms },
          })
          process.stderr.write(`[tierbench] phase=${plan.name} first attempt invalid (${reasons.join('; ')}): re-running once${replayed.length ? ` after its warm-ups (${replayed.map((w) => w.name).join(', ')})` : ''}\n`)
          if (freshState || replayed.length) await rt!.applyMode(mode, { faults: plan.faults, env: plan.targetEnv, tiers: currentTiers?.plan, maxInputTokens: plan.maxInputTokens, realBlockIo: plan.realBlockIo })
          for (const w of replayed) {
            if (w.before) await w.before(apiFor(ctx, failures, w.name, w))
            const wTiers = tiers ? { ...tiers, working_set: w.workingSet ? { ...w.workingSet } : null } : null
            outcomes.set(w.name, await rt!.runPhase(w, { settings, target: rt!.targetInfo()!, phases: outcomes }, requestsWriter!, phaseSignal, 2, wTiers))
          }
          if (plan.before) await plan.before(apiFor(ctx, failures, plan.name, plan))
          outcome = await rt!.runPhase(plan, { settings, target: rt!.targetInfo()!, phases: outcomes }, requestsWriter!, phaseSignal, 2, tiers)
        } else event('phase_invalid_not_rerun', { phase: plan.name, reasons, why: 'the phase builds on cache state that earlier measured phases in this mode left; re-running it alone would measure a different cache' })
      }
      outcomes.set(plan.name, outcome)
      const metaPhases = ((ctx.task.meta.tierbenchPhase?.phases as unknown[]) ?? []) as Record<string, unknown>[]
      const summary = {
        suite_id: def.id,
        phase: plan.name,
        kind: plan.kind,
        mode: mode.id,
        step: plan.step ?? null,
        requests: outcome.record.requests,
        errors: outcome.record.errors,
        stop_reason: outcome.record.stop_reason,
      }
      ctx.task.meta.tierbenchPhase = { ...summary, phases: [...metaPhases, summary] }
      const gate = gater(ctx, failures, plan.name)
      if (outcome.record.stop_reason)
        gate({ ...phaseCompletedGate, reason_code: outcome.record.stop_reason }, { value: 0, details: { stop_reason: outcome.record.stop_reason } })
      const standard = def.standardGates !== false && plan.kind === 'measure' ? STANDARD_PHASE_GATES : []
      for (const g of standard) gate(g.gate, g.input(outcome))
      for (const g of plan.gates ?? []) gate(g.gate, g.input(outcome, phaseCtx))
      return outcome
    }

    for (const plan of plans) {
      const how = 'run' in plan ? 'custom' : describeExecutor(plan.executor)
      const title = `phase ${plan.name}: ${plan.kind} ${KV_MODE_LABELS[typeof plan.mode === 'string' ? plan.mode : plan.mode.id]} ${how}`
      test(title, async (ctx: TestContext) => {
        if (!rt || !requestsWriter) throw new Error(`Expected suite ${def.id} to be set up, got no runtime (see beforeAll error)`)
        const failures: string[] = []
        if (stoppedBy) {
          notApplicable.set(plan.name, `not run: ${stoppedBy}`)
          const r = evaluateGate({ ...GATE_PRECONDITION, applies_to: { targets: [] } }, {
            context: { suite_id: def.id, scope: plan.name, mode: currentMode?.id ?? 'B0', target_kind: settings.targetKind },
            evidence: { files: [rel(run.runDir, layout.gates)], details: { stopped_by: stoppedBy } },
          })
          recordGate({ ...r, message: `phase ${plan.name} not run: ${stoppedBy} (its load would measure nothing)` })
          event('phase_not_run', { phase: plan.name, stopped_by: stoppedBy })
          return
        }
        try {
          if ('run' in plan) {
            await ensureMode(plan, gater(ctx, failures, plan.name))
            const api = apiFor(ctx, failures, plan.name, plan)
            if (plan.before) await plan.before(api)
            await plan.run(api)
          } else await executeLoadPhase(plan, ctx, failures, true)
          sinceMode.push({ name: plan.name, kind: plan.kind, load: 'run' in plan ? null : plan })
        } catch (err) {
          // A refused preflight recorded its own gate (a setup problem, not a crash).
          if (err instanceof TierPreflightError) throw err
          if (isModeNotApplicable(err)) {
            // Not a failure and not TARGET_START_FAILED: this target does not run the mode.
            notApplicable.set(plan.name, err.message)
            const r = evaluateGate({ ...GATE_MODE_APPLICABLE, applies_to: { targets: [] } }, {
              context: { suite_id: def.id, scope: plan.name, mode: err.requested, target_kind: settings.targetKind },
              evidence: { files: [rel(run.runDir, layout.events)], details: { requested_mode: err.requested, server_mode: err.serverMode } },
            })
            const result = { ...r, message: err.message }
            ;(ctx.task.meta.tierbenchGates ??= []).push(result as unknown as Record<string, unknown>)
            recordGate(result)
            event('phase_not_applicable', { phase: plan.name, requested_mode: err.requested, server_mode: err.serverMode, message: err.message })
            ctx.annotate(err.message, 'notice').catch(() => undefined)
            if (failures.length) throw new Error(failures.join('\n'))
            return
          }
          // A phase that crashed (target would not start, workload threw) produced no evidence:
          // record it as a failed run-validity gate so the verdict cannot call the run valid.
          const message = (err as Error).message ?? String(err)
          const code = /Expected (kvsim|the .* target) to (print|become|be ready|run in)|not ready|COMMAND_FAILED|WORKER_EXITED|FRONTEND_EXITED|PORT_CONFLICT|KVBM_UNAVAILABLE|MODE_UNSUPPORTED/.test(message)
            ? 'TARGET_START_FAILED'
            : err instanceof ContentionUnavailableError
              ? 'CONTENTION_UNAVAILABLE'
              : 'PHASE_ERROR'
          gater(ctx, failures, plan.name)({ ...phaseCompletedGate, reason_code: code }, { value: 0, details: { error: message.slice(0, 2000) } })
          throw err
        }
        if (failures.length) throw new Error(failures.join('\n'))
      })
    }

    if (def.conclude) {
      // A repeated sequence is concluded once per repetition: each must show the claim on its own.
      const reps: (number | null)[] = dslRepeated ? [...Array(settings.profile.repetitions).keys()] : [null]
      for (const r of reps)
        test(r === null ? 'conclusion: suite gates' : `conclusion: suite gates (repetition ${r + 1})`, async (ctx: TestContext) => {
          const failures: string[] = []
          const phases =
            r === null
              ? outcomes
              : new Map([...outcomes].filter(([, o]) => o.plan.repetition === r).map(([name, o]) => [repetitionGroup(name), o] as const))
          const gate = gater(ctx, failures, null)
          await def.conclude!({
            settings,
            target: rt?.targetInfo() ?? null,
            phases,
            repetition: r,
            layout,
            gate: r === null ? gate : (g, input) => gate(g, { ...input, details: { ...(input.details ?? {}), repetition: r + 1 } }),
            note: (key, value) => event('figure', { key, value, ...(r === null ? {} : { repetition: r + 1 }) }),
          })
          if (failures.length) throw new Error(failures.join('\n'))
        })
    }

    test('conclusion: repeatability across repetitions', async (ctx: TestContext) => {
      const failures: string[] = []
      const gate = gater(ctx, failures, null)
      const measured = [...outcomes.values()]
        .filter((o) => o.plan.kind === 'measure')
        .map((o) => ({ name: o.plan.name, ...(o.plan.repeats ? { repeats: o.plan.repeats } : {}), p99: o.summary.ttft_ms.p99 }))
      for (const c of repeatabilityChecks(measured, settings.profile.repetitions)) gate(c.gate, { value: c.value, scope: c.scope, details: c.details })
      if (failures.length) throw new Error(failures.join('\n'))
    })
  })
}

/** What the manifest keeps of a target: its kind, mode verification and everything it reports about itself. */
const targetProvenance = (t: TargetInfo): Record<string, unknown> => ({
  kind: t.kind,
  base_url: t.baseUrl,
  model: t.model,
  emulated: t.emulated,
  mode: t.mode,
  mode_verified: t.modeVerified,
  max_input_tokens: t.maxInputTokens,
  ...t.provenance,
})

const rel = (root: string, p: string) => relative(root, p)

const dedupeGates = (gates: Gate[]): Gate[] => [...new Map(gates.map((g) => [g.id, g])).values()]

const describeExecutor = (e: ExecutorSpec): string => {
  const o = e as unknown as Record<string, unknown>
  switch (o.type) {
    case 'constantConcurrency':
      return `constantConcurrency ${o.concurrency}${o.iterations ? ` x${o.iterations}` : ''}${o.duration_s ? ` ${o.duration_s}s` : ''}`
    case 'arrivalRate':
      return `arrivalRate ${o.rate}/s ${o.distribution ?? 'constant'}`
    default:
      return String(o.type)
  }
}

/** Reason codes after which a suite's later phases are not run (their load would prove nothing). */
const STOPS_SUITE = new Set(['LONG_CONTEXT_UNAVAILABLE'])

/** Recorded (not_applicable) for a phase skipped because a precondition of the suite failed. */
export const GATE_PRECONDITION: Gate = {
  id: 'phase_precondition',
  metric: 'phase_precondition',
  expr: 'value==1',
  severity: 'soft',
  reason_code: 'PRECONDITION_FAILED',
  reason: 'A precondition of the suite (the dataset L preflight) failed, so this phase was not run.',
  blocker_group: 'run_validity',
}

/** Load stops once a suite has run this many times its suite_budget_s. */
export const BUDGET_HARD_FACTOR = 3

/** Wall time of the suite over its profile's suite_budget_s (1 = exactly on budget). */
export const GATE_SUITE_BUDGET: Gate = {
  id: 'suite_budget',
  metric: 'suite_wall_over_budget',
  expr: 'value<=1',
  severity: 'soft',
  reason_code: 'SUITE_BUDGET_EXCEEDED',
  reason: `The suite ran longer than its profile's suite_budget_s; at ${3} x the budget its remaining load is stopped.`,
  blocker_group: 'run_validity',
}

/** Recorded (status not_applicable) for a phase whose mode the target cannot run. */
export const GATE_MODE_APPLICABLE: Gate = {
  id: 'mode_applicable',
  metric: 'mode_applicable',
  expr: 'value==1',
  severity: 'soft',
  reason_code: 'MODE_NOT_APPLICABLE',
  reason: 'The phase needs a KV mode this target does not run (an external server runs its declared mode; llama.cpp has no disk tier).',
  blocker_group: 'run_validity',
}

/** Recorded when a phase stops early (target lost, model dropped): the run is not valid. */
export const phaseCompletedGate: Gate = {
  id: 'phase_completed',
  metric: 'phase_completed',
  expr: 'value>0',
  severity: 'hard',
  reason_code: 'PHASE_ABORTED',
  reason: 'A phase that stops early (target died, worker unregistered, stall) invalidates the run.',
  blocker_group: 'run_validity',
}
