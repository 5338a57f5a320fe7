import type { PhaseSummary } from './phase-summary'

// "Feature set at fixed latency" (seed 002, W2 style 2): the largest concurrency / rate / context a
// mode sustains under an SLO. The SLO names the latency metric it reads, and every comparison uses
// that same metric (the prior harness derived its SLO from e2e p95 and compared TTFC p95).

export interface Slo {
  /** Which latency figure the SLO reads. @default 'ttft_ms' */
  metric?: 'ttft_ms' | 'ttft_from_schedule_ms' | 'ttfc_ms' | 'e2e_ms'
  p95_ms?: number
  p99_ms?: number
  /** Highest tolerated error rate (0–1). @default 0 */
  error_rate_max?: number
}

export interface SloCheck {
  pass: boolean
  failures: string[]
}

export const meetsSlo = (s: Pick<PhaseSummary, 'ttft_ms' | 'ttft_from_schedule_ms' | 'ttfc_ms' | 'e2e_ms' | 'error_rate'>, slo: Slo): SloCheck => {
  const metric = slo.metric ?? 'ttft_ms'
  const fig = s[metric]
  const failures: string[] = []
  const check = (label: 'p95' | 'p99', limit: number | undefined) => {
    if (limit === undefined) return
    const v = fig[label]
    if (v === null) failures.push(`${metric} ${label}: expected a value <= ${limit}, got no data`)
    else if (v > limit) failures.push(`${metric} ${label}: expected <= ${limit}, got ${v}`)
  }
  check('p95', slo.p95_ms)
  check('p99', slo.p99_ms)
  const maxErr = slo.error_rate_max ?? 0
  if (s.error_rate === null) failures.push(`error_rate: expected <= ${maxErr}, got no requests`)
  else if (s.error_rate > maxErr) failures.push(`error_rate: expected <= ${maxErr}, got ${s.error_rate}`)
  return { pass: failures.length === 0, failures }
}

export interface CapacityResult {
  /** Largest passing x below the first failing step; null when the first step already fails. */
  capacity_x: number | null
  first_failing_x: number | null
  status: 'bounded' | 'all_pass' | 'none_pass' | 'empty'
  steps: { x: number; pass: boolean; failures: string[] }[]
}

/** Capacity from measured sweep steps: the largest passing step below the first failing one. */
export const capacityFromSteps = (steps: readonly { x: number; summary: PhaseSummary }[], slo: Slo): CapacityResult => {
  const checked = [...steps].sort((a, b) => a.x - b.x).map((s) => ({ x: s.x, ...meetsSlo(s.summary, slo) }))
  if (checked.length === 0) return { capacity_x: null, first_failing_x: null, status: 'empty', steps: [] }
  const firstFail = checked.findIndex((c) => !c.pass)
  if (firstFail === -1) return { capacity_x: checked[checked.length - 1].x, first_failing_x: null, status: 'all_pass', steps: checked }
  if (firstFail === 0) return { capacity_x: null, first_failing_x: checked[0].x, status: 'none_pass', steps: checked }
  return { capacity_x: checked[firstFail - 1].x, first_failing_x: checked[firstFail].x, status: 'bounded', steps: checked }
}

export interface BracketOptions {
  lo: number
  hi: number
  measure: (x: number) => Promise<PhaseSummary>
  slo: Slo
  /** Stop after this many measurements. @default 12 */
  maxProbes?: number
  /** Search integers (concurrency, tokens). @default true */
  integer?: boolean
  /** Non-integer search stops when hi − lo <= tolerance. @default 1e-3 × (hi − lo) */
  tolerance?: number
}

export interface BracketResult {
  /** Largest x measured passing below the smallest x measured failing. */
  capacity_x: number | null
  first_failing_x: number | null
  status: 'bounded' | 'at_least_hi' | 'below_lo' | 'probes_exhausted'
  probes: { x: number; pass: boolean; failures: string[] }[]
}

/**
 * Search driver: measure lo; double while passing (capped at hi) to bracket the first failure,
 * then bisect between the last pass and the first failure until they are adjacent (integers) or
 * within tolerance, or the probe budget is spent. Assumes the SLO outcome is monotone in x.
 */
export const bracketThenBisect = async (opts: BracketOptions): Promise<BracketResult> => {
  const integer = opts.integer ?? true
  const maxProbes = opts.maxProbes ?? 12
  if (!(opts.lo > 0 && opts.hi >= opts.lo)) throw new RangeError(`Expected 0 < lo <= hi, got lo=${opts.lo} hi=${opts.hi}`)
  const tol = opts.tolerance ?? 1e-3 * (opts.hi - opts.lo)
  const probes: BracketResult['probes'] = []
  const probe = async (x: number): Promise<boolean> => {
    const check = meetsSlo(await opts.measure(x), opts.slo)
    probes.push({ x, ...check })
    return check.pass
  }
  if (!(await probe(opts.lo))) return { capacity_x: null, first_failing_x: opts.lo, status: 'below_lo', probes }
  let pass = opts.lo
  let fail: number | null = null
  while (fail === null) {
    if (pass >= opts.hi) return { capacity_x: pass, first_failing_x: null, status: 'at_least_hi', probes }
    if (probes.length >= maxProbes) return { capacity_x: pass, first_failing_x: null, status: 'probes_exhausted', probes }
    const next = Math.min(opts.hi, pass * 2)
    if (await probe(next)) pass = next
    else fail = next
  }
  let failAt: number = fail
  while (integer ? failAt - pass > 1 : failAt - pass > tol) {
    if (probes.length >= maxProbes) return { capacity_x: pass, first_failing_x: failAt, status: 'probes_exhausted', probes }
    const mid: number = integer ? Math.floor((pass + failAt) / 2) : (pass + failAt) / 2
    if (await probe(mid)) pass = mid
    else failAt = mid
  }
  return { capacity_x: pass, first_failing_x: failAt, status: 'bounded', probes }
}
