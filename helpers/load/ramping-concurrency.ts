import { z } from 'zod'
import type { ExecutorDeps } from './executor-deps'
import type { PhaseRunResult } from './phase-run-result'
import { createPhaseTally, requireStream } from './phase-tally'

export const ConcurrencyStage = z.object({
  /** Concurrency reached at the end of the stage, linearly from the previous one. */
  target: z.number().int().nonnegative(),
  duration_s: z.number().positive(),
})
export type ConcurrencyStage = z.infer<typeof ConcurrencyStage>

// Closed loop whose slot count follows linear stages (k6 ramping-vus). On the way down a slot
// finishes its running request before it stops (k6's graceful ramp-down).
export const RampingConcurrencySpec = z.object({
  type: z.literal('rampingConcurrency'),
  /** @default 1 */
  start_concurrency: z.number().int().nonnegative().default(1),
  stages: z.array(ConcurrencyStage).min(1),
})
export type RampingConcurrencySpec = z.infer<typeof RampingConcurrencySpec>

/** Slot count at `elapsedMs` into the phase (floor of the linear interpolation). */
export const concurrencyAt = (spec: Pick<RampingConcurrencySpec, 'start_concurrency' | 'stages'>, elapsedMs: number): number => {
  let from = spec.start_concurrency
  let t = elapsedMs / 1000
  for (const s of spec.stages) {
    if (t < s.duration_s) return Math.floor(from + ((s.target - from) * t) / s.duration_s)
    t -= s.duration_s
    from = s.target
  }
  return from
}

/** How often the controller re-reads the target; slots check it before every request. */
const TICK_MS = 50

export const runRampingConcurrency = async (spec: RampingConcurrencySpec, deps: ExecutorDeps): Promise<PhaseRunResult> => {
  const source = requireStream(deps, spec.type)
  const { clock, signal } = deps
  const tally = createPhaseTally(deps)
  const t0 = clock.nowMs()
  const end = t0 + spec.stages.reduce((a, s) => a + s.duration_s, 0) * 1000
  let exhausted = false
  const running = new Map<number, Promise<void>>()

  const slot = async (id: number) => {
    let tFree = clock.nowMs()
    while (!signal.aborted && !exhausted && tFree < end && id < concurrencyAt(spec, tFree - t0)) {
      const item = source.next()
      if (item === null) {
        exhausted = true
        break
      }
      await tally.launch(item, tFree)
      tFree = clock.nowMs()
    }
    running.delete(id)
  }

  for (let tick = t0; !signal.aborted && !exhausted && tick < end; tick += TICK_MS) {
    // A coarse sleep is enough here (slots stamp their own t_scheduled); no spinning.
    const ms = tick - clock.nowMs()
    if (ms > 0) await new Promise((r) => setTimeout(r, ms))
    const want = concurrencyAt(spec, clock.nowMs() - t0)
    for (let id = 0; id < want; id++) if (!running.has(id)) running.set(id, slot(id))
  }
  while (running.size > 0) await Promise.all([...running.values()])
  return tally.result()
}
