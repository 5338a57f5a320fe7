// U_work (v3.0 plan §2): sweep concurrency ascending; the knee is the first step where
// p99 > 2.0 × p50 holds for two consecutive steps; U_work is the step one below the knee.

/** First index i where predicate holds for steps i .. i+consecutive−1; null when it never does. */
export const firstKnee = <T>(steps: readonly T[], predicate: (step: T, index: number) => boolean, consecutive = 1): number | null => {
  if (!(Number.isInteger(consecutive) && consecutive >= 1)) throw new RangeError(`Expected consecutive >= 1, got ${consecutive}`)
  let run = 0
  for (let i = 0; i < steps.length; i++) {
    run = predicate(steps[i], i) ? run + 1 : 0
    if (run === consecutive) return i - consecutive + 1
  }
  return null
}

export interface SweepStep {
  /** The swept value (concurrency, rate, context tokens). */
  x: number
  p50: number | null
  p99: number | null
}

export interface KneeOptions {
  /** @default 2 */
  ratio?: number
  /** @default 2 */
  consecutive?: number
}

export interface UWorkResult {
  status: 'knee' | 'knee_at_first_step' | 'no_knee' | 'empty'
  /** Index and x of the knee step (first of the consecutive run). */
  knee_index: number | null
  knee_x: number | null
  /** One step below the knee; with no knee, the largest step tested (a lower bound: see status). */
  u_work_x: number | null
  u_work_index: number | null
  ratio: number
  consecutive: number
  /** p99 / p50 per step, in sweep order (null where either is missing). */
  ratios: (number | null)[]
  message: string
}

export const uWork = (steps: readonly SweepStep[], opts: KneeOptions = {}): UWorkResult => {
  const ratio = opts.ratio ?? 2
  const consecutive = opts.consecutive ?? 2
  const sorted = [...steps].sort((a, b) => a.x - b.x)
  const ratios = sorted.map((s) => (s.p50 !== null && s.p99 !== null && s.p50 > 0 ? s.p99 / s.p50 : null))
  const base = { ratio, consecutive, ratios }
  if (sorted.length === 0)
    return { ...base, status: 'empty', knee_index: null, knee_x: null, u_work_x: null, u_work_index: null, message: 'Expected at least one sweep step, got none' }
  // A step with missing percentiles cannot show the knee condition; it breaks a consecutive run.
  const k = firstKnee(sorted, (s) => s.p50 !== null && s.p99 !== null && s.p99 > ratio * s.p50, consecutive)
  if (k === null) {
    const last = sorted.length - 1
    return {
      ...base,
      status: 'no_knee',
      knee_index: null,
      knee_x: null,
      u_work_x: sorted[last].x,
      u_work_index: last,
      message: `no knee within the sweep (p99 <= ${ratio} x p50 on ${consecutive} consecutive steps never held up to x=${sorted[last].x}); U_work >= ${sorted[last].x}`,
    }
  }
  if (k === 0)
    return {
      ...base,
      status: 'knee_at_first_step',
      knee_index: 0,
      knee_x: sorted[0].x,
      u_work_x: null,
      u_work_index: null,
      message: `knee at the first step x=${sorted[0].x}: U_work lies below the sweep; extend it downwards`,
    }
  return {
    ...base,
    status: 'knee',
    knee_index: k,
    knee_x: sorted[k].x,
    u_work_x: sorted[k - 1].x,
    u_work_index: k - 1,
    message: `knee at x=${sorted[k].x} (p99 > ${ratio} x p50 from there for ${consecutive} steps); U_work = ${sorted[k - 1].x}`,
  }
}
