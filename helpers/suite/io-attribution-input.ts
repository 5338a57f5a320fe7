import { kvbmDelta } from '../analysis/mechanism'
import type { PhaseGateInput, PhaseOutcome } from './define-hypothesis'

// Input of GATE_ATTRIBUTION (OS corroboration, canonical plan: >= 80 % of the device's read bytes
// belong to the serving processes) over the phases in which the mechanism counters say the disk
// tier served blocks (Δonboard_blocks_d2d > 0). Phases without disk rehydrate are left out: their
// device reads are not the claim's. No such phase, or no device bytes, is no data — never a pass.

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

export const ioAttributionInput = (outcomes: readonly PhaseOutcome[]): PhaseGateInput & { scope: string } => {
  const served = outcomes.filter((o) => (kvbmDelta(o.record.deltas.kvbm, 'onboard_blocks_d2d') ?? 0) > 0)
  let device = 0
  let target = 0
  let missing = 0
  const per = served.map((o) => {
    const a = (o.record.attribution ?? {}) as Record<string, unknown>
    const dev = num(a.device_read_bytes)
    const proc = num(a.process_read_bytes)
    const cg = num(a.cgroup_read_bytes)
    // Process counters, else the cgroup's (process IO reads zero inside some containers).
    const tgt = proc !== null && proc > 0 ? proc : (cg ?? proc)
    if (dev === null || tgt === null) missing++
    else {
      device += dev
      target += tgt
    }
    return { phase: o.plan.name, device_read_bytes: dev, target_read_bytes: tgt, confidence: a.confidence ?? null }
  })
  const value = served.length > 0 && device > 0 ? (target / device) * 100 : null
  return {
    scope: served.map((o) => o.plan.name).join('+') || 'no phase with disk rehydrate',
    value,
    details: {
      rule: 'target read bytes / device read bytes over phases with Δonboard_blocks_d2d > 0',
      phases: per,
      phases_without_counters: missing,
      device_read_bytes: device,
      target_read_bytes: target,
    },
  }
}
