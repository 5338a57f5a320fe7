// Stack A control (v3.0 §10): "NVMe r/s within 10 % of idle". Idle is often ~0 r/s, where a pure
// ratio explodes, so the denominator has a floor (1 r/s by default): 0.5 r/s over an idle 0 is 50 %.

/** (observed − idle) / max(idle, floor) × 100; negative when quieter than idle. */
export const excessOverIdlePct = (observed: number, idle: number, floor = 1): number => {
  if (!Number.isFinite(observed) || !Number.isFinite(idle)) throw new RangeError(`Expected finite observed and idle, got ${observed} and ${idle}`)
  if (!(floor > 0)) throw new RangeError(`Expected floor > 0, got ${floor}`)
  return ((observed - idle) / Math.max(Math.abs(idle), floor)) * 100
}
