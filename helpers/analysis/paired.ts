import { bootstrapCi, type BootstrapCi } from './bootstrap'
import { lnChoose, normalCdf, studentTQuantile } from './distributions'

// Paired statistics for AB/BA repeats (Phase70 style, with the tests it lacked). Every delta is
// B − A (B is the mode under test, e.g. B2, A the control, e.g. B1), so a negative mean TTFT delta
// means B is faster. Zeros are dropped from the sign and Wilcoxon tests (Wilcoxon's zero method).

export interface Pair {
  a: number
  b: number
  /** Which leg ran first; needed for the order-effect check. */
  order?: 'AB' | 'BA'
  label?: string
}

export interface PairedWarning {
  code: 'ODD_PAIR_COUNT' | 'FEWER_THAN_6_PAIRS' | 'ORDER_EFFECT_NOT_EVALUATED'
  message: string
}

export interface SignTest {
  n_pos: number
  n_neg: number
  n_zero: number
  /** Two-sided exact binomial p (zeros dropped); null when every delta is zero. */
  p_value: number | null
}

export interface WilcoxonTest {
  /** Non-zero deltas ranked. */
  n: number
  w_plus: number
  w_minus: number
  /** Two-sided. */
  p_value: number | null
  method: 'exact' | 'normal' | 'none'
  /** Normal approximation only. */
  z: number | null
}

export interface OrderEffect {
  evaluated: boolean
  n_ab: number
  n_ba: number
  mean_ab_delta: number | null
  mean_ba_delta: number | null
  pooled_sd: number | null
  /** (mean AB deltas − mean BA deltas) / pooled SD. */
  effect: number | null
  /** |effect| >= 1 */
  flagged: boolean
}

export interface PairedStats {
  n: number
  deltas: number[]
  mean_delta: number | null
  sd_delta: number | null
  t_ci: { lo: number | null; hi: number | null; confidence: number; df: number | null }
  bootstrap_ci: BootstrapCi
  sign_test: SignTest
  wilcoxon: WilcoxonTest
  order_effect: OrderEffect
  warnings: PairedWarning[]
}

export interface PairedOptions {
  confidence?: number
  B?: number
  seed?: number
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
const sampleSd = (xs: readonly number[]): number => {
  const m = mean(xs)
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1))
}

/** Exact two-sided sign test: P(X <= min(pos, neg)) × 2 under Binomial(m, 1/2). */
export const signTest = (deltas: readonly number[]): SignTest => {
  const n_pos = deltas.filter((d) => d > 0).length
  const n_neg = deltas.filter((d) => d < 0).length
  const n_zero = deltas.length - n_pos - n_neg
  const m = n_pos + n_neg
  if (m === 0) return { n_pos, n_neg, n_zero, p_value: null }
  const k = Math.min(n_pos, n_neg)
  let tail = 0
  for (let i = 0; i <= k; i++) tail += Math.exp(lnChoose(m, i) - m * Math.LN2)
  return { n_pos, n_neg, n_zero, p_value: Math.min(1, 2 * tail) }
}

/** Average ranks (1-based) of |d|, ties sharing the mean of their positions. */
const absRanks = (ds: readonly number[]): { ranks: number[]; tieGroups: number[] } => {
  const idx = ds.map((d, i) => ({ a: Math.abs(d), i })).sort((x, y) => x.a - y.a)
  const ranks = new Array<number>(ds.length)
  const tieGroups: number[] = []
  for (let s = 0; s < idx.length; ) {
    let e = s
    while (e + 1 < idx.length && idx[e + 1].a === idx[s].a) e++
    const r = (s + e + 2) / 2
    for (let k = s; k <= e; k++) ranks[idx[k].i] = r
    if (e > s) tieGroups.push(e - s + 1)
    s = e + 1
  }
  return { ranks, tieGroups }
}

/** Largest n for which the Wilcoxon null distribution is enumerated exactly. */
export const WILCOXON_EXACT_MAX_N = 20

/**
 * Wilcoxon signed-rank, two-sided. Exact for n <= 20 (subset-sum counts over doubled ranks, so
 * tied half ranks stay integers); beyond, the normal approximation with continuity correction and
 * the tie correction Σ(t³ − t)/48 in the variance.
 */
export const wilcoxonSignedRank = (deltas: readonly number[]): WilcoxonTest => {
  const nz = deltas.filter((d) => d !== 0 && Number.isFinite(d))
  const n = nz.length
  if (n === 0) return { n, w_plus: 0, w_minus: 0, p_value: null, method: 'none', z: null }
  const { ranks, tieGroups } = absRanks(nz)
  let w_plus = 0
  for (let i = 0; i < n; i++) if (nz[i] > 0) w_plus += ranks[i]
  const total = (n * (n + 1)) / 2
  const w_minus = total - w_plus
  if (n <= WILCOXON_EXACT_MAX_N) {
    const doubled = ranks.map((r) => Math.round(r * 2))
    const maxSum = doubled.reduce((a, b) => a + b, 0)
    const counts = new Float64Array(maxSum + 1)
    counts[0] = 1
    for (const r of doubled) for (let s = maxSum; s >= r; s--) counts[s] += counts[s - r]
    const w2 = Math.round(w_plus * 2)
    let le = 0
    let ge = 0
    for (let s = 0; s <= maxSum; s++) {
      if (s <= w2) le += counts[s]
      if (s >= w2) ge += counts[s]
    }
    const all = Math.pow(2, n)
    return { n, w_plus, w_minus, p_value: Math.min(1, (2 * Math.min(le, ge)) / all), method: 'exact', z: null }
  }
  const mu = total / 2
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieGroups.reduce((a, t) => a + (t ** 3 - t), 0) / 48
  const diff = w_plus - mu
  const corrected = diff === 0 ? 0 : diff - Math.sign(diff) * 0.5
  const z = variance > 0 ? corrected / Math.sqrt(variance) : 0
  return { n, w_plus, w_minus, p_value: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))), method: 'normal', z }
}

/** (mean AB deltas − mean BA deltas) / pooled SD; needs at least 2 pairs of each order. */
export const orderEffect = (pairs: readonly Pair[]): OrderEffect => {
  const ab = pairs.filter((p) => p.order === 'AB').map((p) => p.b - p.a)
  const ba = pairs.filter((p) => p.order === 'BA').map((p) => p.b - p.a)
  const base = { n_ab: ab.length, n_ba: ba.length }
  if (ab.length < 2 || ba.length < 2)
    return { ...base, evaluated: false, mean_ab_delta: null, mean_ba_delta: null, pooled_sd: null, effect: null, flagged: false }
  const mAb = mean(ab)
  const mBa = mean(ba)
  const pooled = Math.sqrt(((ab.length - 1) * sampleSd(ab) ** 2 + (ba.length - 1) * sampleSd(ba) ** 2) / (ab.length + ba.length - 2))
  const diff = mAb - mBa
  const effect = pooled > 0 ? diff / pooled : diff === 0 ? 0 : Math.sign(diff) * Infinity
  return { ...base, evaluated: true, mean_ab_delta: mAb, mean_ba_delta: mBa, pooled_sd: pooled, effect, flagged: Math.abs(effect) >= 1 }
}

export const pairedStats = (pairs: readonly Pair[], opts: PairedOptions = {}): PairedStats => {
  const confidence = opts.confidence ?? 0.95
  for (const [i, p] of pairs.entries())
    if (!Number.isFinite(p.a) || !Number.isFinite(p.b))
      throw new Error(`Expected finite a and b in pair ${p.label ?? i}, got a=${p.a} b=${p.b}`)
  const deltas = pairs.map((p) => p.b - p.a)
  const n = deltas.length
  const warnings: PairedWarning[] = []
  if (n % 2 === 1) warnings.push({ code: 'ODD_PAIR_COUNT', message: `Expected an even number of pairs (balanced AB/BA), got ${n}` })
  if (n < 6) warnings.push({ code: 'FEWER_THAN_6_PAIRS', message: `Expected at least 6 pairs, got ${n}` })
  const order = orderEffect(pairs)
  if (!order.evaluated)
    warnings.push({
      code: 'ORDER_EFFECT_NOT_EVALUATED',
      message: `Expected at least 2 AB and 2 BA pairs for the order check, got ${order.n_ab} AB and ${order.n_ba} BA`,
    })
  const m = n > 0 ? mean(deltas) : null
  const sd = n > 1 ? sampleSd(deltas) : null
  let tLo: number | null = null
  let tHi: number | null = null
  if (m !== null && sd !== null) {
    const half = studentTQuantile((1 + confidence) / 2, n - 1) * (sd / Math.sqrt(n))
    tLo = m - half
    tHi = m + half
  }
  return {
    n,
    deltas,
    mean_delta: m,
    sd_delta: sd,
    t_ci: { lo: tLo, hi: tHi, confidence, df: n > 1 ? n - 1 : null },
    bootstrap_ci: bootstrapCi(deltas, 'mean', { B: opts.B, seed: opts.seed, confidence }),
    sign_test: signTest(deltas),
    wilcoxon: wilcoxonSignedRank(deltas),
    order_effect: order,
    warnings,
  }
}
