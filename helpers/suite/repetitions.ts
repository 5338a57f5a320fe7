import type { Gate } from '../gates/gate'
import { GATE_COV_P99, GATE_REPRODUCIBLE_P99 } from '../gates/catalog'
import { repetitionStats } from '../analysis/repetition'

// The plans' repetitions (v3.0 §10: every measured configuration 3 times, seeded) for every suite.
// A suite that numbers its own repetitions (AB/BA pairs, cold/warm per repetition) keeps its plan;
// any other suite has its whole phase sequence repeated by the DSL, each repetition from a fresh
// worker (so repetition 2 does not replay repetition 1's cache) and with its own seed (base seed +
// k − 1: on a server that cannot be restarted, repetition 2 must not find repetition 1's prompts
// cached), phase names suffixed `-r<k>`.
// Repeatability is then judged per measured phase across its repetitions: CoV(TTFT p99) < 10 % and
// every repetition within 5 % of the mean. With one repetition (smoke) there is nothing to judge:
// the gates record "not assessed (1 repetition)" as no data, never a pass.

/** Matches the repetition segment of a phase name (`ctx512-replay-r2`, `g2-16-lru-r1-replay`). */
const REPETITION_SEGMENT = /-r\d+(?=-|$)/

/** The phase a repeated phase is a repetition of: its name without the `-r<k>` segment. */
export const repetitionGroup = (name: string): string => name.replace(REPETITION_SEGMENT, '')

export interface RepeatablePlan {
  name: string
  kind: string
  repetition?: number
  restart?: boolean
  /** Set by expandRepetitions: this plan is one repetition of a sequence the DSL repeated. */
  repeatedByDsl?: boolean
}

/**
 * One plan from the plans of each repetition (the same sequence, built with that repetition's
 * seed): names suffixed `-r<k>`, repetition numbered, the worker restarted at each new repetition.
 * A single repetition comes back unchanged.
 */
export const expandRepetitions = <P extends RepeatablePlan>(byRepetition: readonly (readonly P[])[]): P[] => {
  if (byRepetition.length <= 1) return [...(byRepetition[0] ?? [])]
  const names = byRepetition[0].map((p) => p.name).join(',')
  const out: P[] = []
  byRepetition.forEach((plans, r) => {
    if (plans.map((p) => p.name).join(',') !== names)
      throw new Error(`Expected repetition ${r + 1} to plan the same phases as repetition 1 (${names}), got ${plans.map((p) => p.name).join(',')}`)
    plans.forEach((p, i) =>
      out.push({ ...p, name: `${p.name}-r${r + 1}`, repetition: r, repeatedByDsl: true, ...(r > 0 && i === 0 ? { restart: true } : {}) }),
    )
  })
  return out
}

/** Whether a suite numbers its own repetitions (then the DSL leaves its plan alone). */
export const managesOwnRepetitions = (plans: readonly RepeatablePlan[]): boolean => plans.some((p) => p.repetition !== undefined)

/** A load phase run from inside a DSL-repeated custom phase inherits its repetition (and suffix). */
export const inheritRepetition = <P extends RepeatablePlan>(sub: P, outer: RepeatablePlan): P =>
  outer.repeatedByDsl && sub.repetition === undefined
    ? { ...sub, name: `${sub.name}-r${(outer.repetition ?? 0) + 1}`, repetition: outer.repetition, repeatedByDsl: true }
    : sub

export interface RepeatabilityCheck {
  gate: Gate
  /** Phase group (repetition-stripped name), or null for the single "not assessed" record. */
  scope: string | null
  value: number | null
  details: Record<string, unknown>
}

export const NOT_ASSESSED_ONE_REPETITION = 'not assessed (1 repetition)'

/** The gate as recorded when there is nothing to judge: no data allowed, and the reason says why. */
const notAssessed = (g: Gate, why: string): Gate => ({ ...g, allow_no_data: true, reason: `${why}. ${g.reason}` })

export interface MeasuredPhase {
  /** Phase name as it ran (`ctx512-replay-r2`). */
  name: string
  /** Key shared by the repetitions of one configuration; @default repetitionGroup(name) */
  repeats?: string
  p99: number | null
}

/**
 * The repeatability gates of one suite from its measured phases' TTFT p99. `repetitions` is what
 * the profile asked for. With one repetition every gate is "not assessed (1 repetition)". With more,
 * each configuration measured at least twice is judged; configurations that ran once (a search
 * probe visited in one repetition only) are listed in one not-assessed record, so a run in which
 * nothing repeated cannot supply the repeatability link.
 */
export const repeatabilityChecks = (measured: readonly MeasuredPhase[], repetitions: number): RepeatabilityCheck[] => {
  if (repetitions < 2) {
    const why = `${NOT_ASSESSED_ONE_REPETITION}: the profile runs one repetition, so run-to-run stability cannot be judged (full runs 3)`
    const details = { repetitions, phases: measured.map((m) => m.name), note: NOT_ASSESSED_ONE_REPETITION }
    return [GATE_COV_P99, GATE_REPRODUCIBLE_P99].map((g) => ({ gate: notAssessed(g, why), scope: null, value: null, details }))
  }
  const groups = new Map<string, MeasuredPhase[]>()
  for (const m of measured) {
    const key = m.repeats ?? repetitionGroup(m.name)
    groups.set(key, [...(groups.get(key) ?? []), m])
  }
  const out: RepeatabilityCheck[] = []
  const once: string[] = []
  for (const [scope, members] of groups) {
    const values = members.flatMap((m) => (m.p99 === null ? [] : [m.p99]))
    if (values.length < 2) {
      once.push(...members.map((m) => m.name))
      continue
    }
    const stats = repetitionStats(values)
    const details = {
      repetitions_planned: repetitions,
      repetitions_with_data: stats.n,
      phases: members.map((m) => m.name),
      ttft_p99_ms: members.map((m) => m.p99),
      mean_ms: stats.mean,
      sd_ms: stats.sd,
    }
    out.push({ gate: GATE_COV_P99, scope, value: stats.cov_pct, details })
    out.push({ gate: GATE_REPRODUCIBLE_P99, scope, value: stats.max_rel_dev_pct, details })
  }
  if (once.length > 0 || out.length === 0) {
    const why = measured.length === 0 ? 'not assessed: no measured phase ran' : `not assessed for ${once.length} phase(s) measured once with data (not repeated at the same point)`
    const details = { repetitions, phases_measured_once: once }
    for (const g of [GATE_COV_P99, GATE_REPRODUCIBLE_P99]) out.push({ gate: notAssessed(g, why), scope: null, value: null, details })
  }
  return out
}
