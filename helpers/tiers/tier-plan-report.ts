import { pathToFileURL } from 'node:url'
import { loadRunConfig } from '../config/load-run-config'
import type { RunConfig } from '../config/run-config'
import type { ExecutorSpec } from '../load/executor-spec'
import { decodeStepSeconds, prefillSeconds } from '../../emulator/engine/perf-model'
import { PROFILES } from '../../emulator/profiles'
import { type HypothesisDefinition, type PhasePlan, planPhases } from '../suite/define-hypothesis'
import { captureHypotheses } from '../suite/capture-hypotheses'
import { resolveSuiteSettings, type SuiteSettings } from '../suite/suite-settings'
import { checkWorkingSet } from './working-set'
import type { EffectiveTiers, TierPlan } from './tier-plan'

// `tierbench plan`'s tier section: for each phase of each suite, the tier plan in the harness's
// words, the capacities the target is expected to have for it, the working set and its preflight,
// and an estimate of the phase's duration from the model's Spark performance model (kvsim's
// calibrated prefill and decode rates, every prompt computed: an upper bound, cache hits only help).

/** Assumed wall time of one worker restart with a fresh cache (KVBM init pins the host tier). */
export const RESTART_S = 180

const n = (v: number | null | undefined) => (v === null || v === undefined ? '?' : Math.round(v).toLocaleString('en-US'))
const gb = (b: number) => `${(b / 1e9).toFixed(1)} GB`

export const formatTierPlan = (p: TierPlan): string =>
  `device ${p.device_kv_tokens === null ? 'engine default' : `${n(p.device_kv_tokens)} tokens`}, host ${gb(p.host_tier_bytes)}, disk ${gb(p.disk_tier_bytes)}, ${p.eviction_policy}`

export const formatEffective = (e: EffectiveTiers): string =>
  `device ${n(e.device_kv_tokens)} tokens [${e.source.device_kv_tokens}], host ${n(e.host_tier_tokens)} [${e.source.host_tier_tokens}], disk ${n(e.disk_tier_tokens)} [${e.source.disk_tier_tokens}]`

/** Seconds a load phase takes on the model's performance model; null when it cannot be told before the run. */
export const estimatePhaseSeconds = (s: SuiteSettings, plan: PhasePlan): { seconds: number | null; how: string } => {
  if ('run' in plan) return { seconds: null, how: 'custom phase: its length is decided at run time' }
  const e = plan.executor as ExecutorSpec & Record<string, unknown>
  const p = PROFILES[s.model.id]
  const duration = typeof e.duration_s === 'number' ? e.duration_s : null
  const iterations = typeof e.iterations === 'number' ? e.iterations : null
  let perRequest: { prompt: number; output: number } | null = null
  try {
    const w = plan.workload({ settings: s, target: { model: s.model.served_name, maxInputTokens: s.model.max_input_tokens } as never, phases: new Map() })
    const item = w.kind === 'stream' ? w.source.next() : (w.source.sessions()[0]?.nextTurn(null) ?? null)
    if (item) perRequest = { prompt: item.request.meta.prompt_tokens_expected, output: item.request.body.max_tokens }
  } catch {
    // A workload that needs run-time inputs (a trace file, an earlier phase): no estimate.
  }
  if (iterations !== null && perRequest && p) {
    const c = Math.max(1, Number(e.concurrency ?? e.max_in_flight ?? 1))
    const prefill = iterations * prefillSeconds(p, 0, perRequest.prompt)
    const step = decodeStepSeconds(p, Math.min(c, p.maxBatchSize), Math.min(c, p.maxBatchSize) * (perRequest.prompt + perRequest.output / 2))
    const decode = Math.ceil(iterations / Math.min(c, p.maxBatchSize)) * perRequest.output * step
    const est = prefill + decode
    const secs = duration === null ? est : Math.min(duration, est)
    return { seconds: secs, how: `${iterations} x ${n(perRequest.prompt)}-token prompts${duration !== null ? `, at most ${duration} s` : ''}` }
  }
  if (duration !== null) return { seconds: duration, how: `${duration} s closed loop` }
  return { seconds: null, how: 'no request count or duration known before the run' }
}

export interface TierPlanReportOptions {
  files: string[]
  cwd: string
  env?: Record<string, string | undefined>
  /** The Dynamo target record (configs/targets/dynamo-*.yaml body). */
  dynamo: Record<string, unknown>
}

export const tierPlanReport = async (o: TierPlanReportOptions): Promise<string[]> => {
  const env = { ...(o.env ?? process.env) }
  const config: RunConfig = loadRunConfig({
    cwd: o.cwd,
    env: { ...env, TIERBENCH_TARGET: 'dynamo', TIERBENCH_PROFILE: env.TIERBENCH_PROFILE ?? 'full' },
  })
  config.target = { kind: 'dynamo', dynamo: o.dynamo }
  const settings = resolveSuiteSettings({ runId: 'plan', runDir: '', resultsDir: '', scratchDir: '', originNs: '0', config: config as never })
  const lines = [
    `── tier plans per phase (profile ${settings.profileName}, model ${settings.model.id}; capacities predicted for this target, checked against the engine's own report at run time)`,
  ]
  let totalS = 0
  for (const file of o.files) {
    let defs: HypothesisDefinition[]
    try {
      defs = await captureHypotheses(() => import(pathToFileURL(file).href))
    } catch (err) {
      lines.push(`suite ${file}: could not be loaded outside Vitest: ${(err as Error).message.split('\n')[0]}`)
      continue
    }
    for (const def of defs) {
      let suiteS = 0
      let restarts = 0
      let last = ''
      let unknown = 0
      lines.push(`suite ${def.id} (${file})`)
      for (const plan of planPhases(def, settings)) {
        const { plan: tp } = settings.phaseTiers(plan.mode, plan.tiers)
        const eff = settings.expectedTiers(plan.mode, plan.tiers)
        const key = JSON.stringify([plan.mode, tp, plan.maxInputTokens ?? null, plan.realBlockIo ?? false, plan.targetEnv ?? {}])
        if (key !== last || plan.restart) restarts++
        last = key
        const est = estimatePhaseSeconds(settings, plan)
        if (est.seconds === null) unknown++
        else suiteS += est.seconds
        const modeId = typeof plan.mode === 'string' ? plan.mode : plan.mode.id
        lines.push(`  ${plan.name} [${plan.kind} ${modeId}]`)
        lines.push(`    tier plan: ${formatTierPlan(tp)}`)
        lines.push(`    effective: ${formatEffective(eff)}`)
        if (plan.workingSet) {
          const c = checkWorkingSet(plan.workingSet, eff)
          lines.push(`    working set: ${n(plan.workingSet.tokens)} tokens, must exceed ${plan.workingSet.factor} x ${plan.workingSet.exceeds}: ${c.ok ? 'ok' : c.code} (${c.message})`)
        }
        lines.push(`    time: ${est.seconds === null ? '?' : `${(est.seconds / 60).toFixed(1)} min`} (${est.how})`)
      }
      suiteS += restarts * RESTART_S
      totalS += suiteS
      lines.push(
        `  total: ${(suiteS / 60).toFixed(1)} min (${restarts} worker start(s) at ${RESTART_S} s each${unknown ? `; ${unknown} phase(s) of run-time length not counted` : ''})`,
      )
    }
  }
  lines.push(`all suites: ${(totalS / 60).toFixed(1)} min`)
  return lines
}
