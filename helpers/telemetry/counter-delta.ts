// A counter that goes down between two readings was reset (process restart): the delta is then
// the new value (what accrued since the reset), and the reset is flagged so it is never hidden.
export interface CounterDelta {
  delta: number | null
  reset: boolean
}

export const counterDelta = (start: number | null | undefined, end: number | null | undefined): CounterDelta => {
  if (start == null || end == null || Number.isNaN(start) || Number.isNaN(end)) return { delta: null, reset: false }
  if (end < start) return { delta: end, reset: true }
  return { delta: end - start, reset: false }
}

/** Deltas of every key of two cumulative snapshots (nulls stay null, resets flagged). */
export const snapshotDeltas = (
  start: Record<string, number | null> | null,
  end: Record<string, number | null> | null,
): { deltas: Record<string, number | null> | null; resets: string[] } => {
  if (!start || !end) return { deltas: null, resets: [] }
  const deltas: Record<string, number | null> = {}
  const resets: string[] = []
  for (const k of new Set([...Object.keys(start), ...Object.keys(end)])) {
    const d = counterDelta(start[k], end[k])
    deltas[k] = d.delta
    if (d.reset) resets.push(k)
  }
  return { deltas, resets }
}
