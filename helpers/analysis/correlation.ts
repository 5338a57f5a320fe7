import { kvbmDelta, type KvbmDeltas } from './mechanism'

// Correlation between two time series sampled on the same windows (e.g. per-second TTFT p99 and
// r_await_ms). Pairs where either side is null/NaN are skipped. A lag L pairs x[t] with y[t + L]:
// a positive best lag means y follows x by L windows.

type Series = readonly (number | null | undefined)[]

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v)

const pearsonRaw = (x: number[], y: number[]): number | null => {
  const n = x.length
  if (n < 3) return null
  let mx = 0
  let my = 0
  for (let i = 0; i < n; i++) {
    mx += x[i]
    my += y[i]
  }
  mx /= n
  my /= n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx
    const dy = y[i] - my
    sxy += dx * dy
    sxx += dx * dx
    syy += dy * dy
  }
  if (sxx === 0 || syy === 0) return null
  return sxy / Math.sqrt(sxx * syy)
}

const ranks = (xs: number[]): number[] => {
  const idx = xs.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v)
  const r = new Array<number>(xs.length)
  for (let s = 0; s < idx.length; ) {
    let e = s
    while (e + 1 < idx.length && idx[e + 1].v === idx[s].v) e++
    for (let k = s; k <= e; k++) r[idx[k].i] = (s + e + 2) / 2
    s = e + 1
  }
  return r
}

const pairs = (x: Series, y: Series, lag: number): [number[], number[]] => {
  const xs: number[] = []
  const ys: number[] = []
  for (let t = 0; t < x.length; t++) {
    const u = t + lag
    if (u < 0 || u >= y.length) continue
    const a = x[t]
    const b = y[u]
    if (finite(a) && finite(b)) {
      xs.push(a)
      ys.push(b)
    }
  }
  return [xs, ys]
}

/** Pearson r over paired finite samples; null with fewer than 3 pairs or a constant side. */
export const pearson = (x: Series, y: Series): number | null => pearsonRaw(...pairs(x, y, 0))

/** Spearman rho: Pearson over average ranks (ties share their mean rank). */
export const spearman = (x: Series, y: Series): number | null => {
  const [xs, ys] = pairs(x, y, 0)
  return pearsonRaw(ranks(xs), ranks(ys))
}

export interface LagResult {
  method: 'pearson' | 'spearman'
  /** Lag with the largest |r|; ties go to the smaller |lag|. */
  best_lag: number | null
  r: number | null
  n: number
  by_lag: { lag: number; r: number | null; n: number }[]
}

export const lagCorrelation = (
  x: Series,
  y: Series,
  opts: { maxLag: number; method?: 'pearson' | 'spearman'; minPairs?: number },
): LagResult => {
  const method = opts.method ?? 'pearson'
  const minPairs = opts.minPairs ?? 3
  const byLag: LagResult['by_lag'] = []
  let best: { lag: number; r: number; n: number } | null = null
  for (let lag = -opts.maxLag; lag <= opts.maxLag; lag++) {
    const [xs, ys] = pairs(x, y, lag)
    const r = xs.length < minPairs ? null : method === 'pearson' ? pearsonRaw(xs, ys) : pearsonRaw(ranks(xs), ranks(ys))
    byLag.push({ lag, r, n: xs.length })
    if (r === null) continue
    if (!best || Math.abs(r) > Math.abs(best.r) + 1e-12 || (Math.abs(Math.abs(r) - Math.abs(best.r)) <= 1e-12 && Math.abs(lag) < Math.abs(best.lag)))
      best = { lag, r, n: xs.length }
  }
  return { method, best_lag: best?.lag ?? null, r: best?.r ?? null, n: best?.n ?? 0, by_lag: byLag }
}

export interface PredictedDiskBytes {
  /** (Δoffload_blocks_h2d + Δoffload_blocks_d2d) × block bytes. */
  predicted_write_bytes: number | null
  /** Δonboard_blocks_d2d × block bytes (host onboarding h2d is not disk). */
  predicted_read_bytes: number | null
  observed_write_bytes: number | null
  observed_read_bytes: number | null
  /** observed / predicted; null when either is missing or the prediction is 0. */
  write_ratio: number | null
  read_ratio: number | null
}

/** What KVBM's counters say the disk tier moved, against what the device or process really moved. */
export const predictedDiskBytes = (
  kvbmDeltas: KvbmDeltas | null | undefined,
  blockBytes: number,
  observed: { read_bytes?: number | null; write_bytes?: number | null } = {},
): PredictedDiskBytes => {
  if (!(blockBytes > 0)) throw new RangeError(`Expected blockBytes > 0, got ${blockBytes}`)
  const h2d = kvbmDelta(kvbmDeltas, 'offload_blocks_h2d')
  const d2d = kvbmDelta(kvbmDeltas, 'offload_blocks_d2d')
  const onD2d = kvbmDelta(kvbmDeltas, 'onboard_blocks_d2d')
  const pw = h2d === null && d2d === null ? null : ((h2d ?? 0) + (d2d ?? 0)) * blockBytes
  const pr = onD2d === null ? null : onD2d * blockBytes
  const ow = finite(observed.write_bytes) ? observed.write_bytes : null
  const or = finite(observed.read_bytes) ? observed.read_bytes : null
  return {
    predicted_write_bytes: pw,
    predicted_read_bytes: pr,
    observed_write_bytes: ow,
    observed_read_bytes: or,
    write_ratio: pw && ow !== null ? ow / pw : null,
    read_ratio: pr && or !== null ? or / pr : null,
  }
}
