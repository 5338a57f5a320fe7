// v3.0 quality gate "≥95 % aligned samples (latency, sysmon, KVBM)": a sample is aligned when a
// sample of the other stream exists within one cadence of it. Both streams are times in ms on the
// run clock.

export interface AlignmentResult {
  samples: number
  aligned: number
  /** aligned / samples × 100; null with no samples. */
  aligned_pct: number | null
  cadence_ms: number
}

/** Share of `times` with a `reference` time within `cadence_ms` (binary search over sorted reference). */
export const alignedPct = (times: readonly number[], reference: readonly number[], cadence_ms: number): AlignmentResult => {
  if (!(cadence_ms > 0)) throw new RangeError(`Expected cadence_ms > 0, got ${cadence_ms}`)
  const ref = Float64Array.from(reference).sort()
  let aligned = 0
  for (const t of times) {
    let lo = 0
    let hi = ref.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (ref[mid] < t) lo = mid + 1
      else hi = mid
    }
    const near = Math.min(lo < ref.length ? ref[lo] - t : Infinity, lo > 0 ? t - ref[lo - 1] : Infinity)
    if (near <= cadence_ms) aligned++
  }
  return { samples: times.length, aligned, aligned_pct: times.length ? (aligned / times.length) * 100 : null, cadence_ms }
}
