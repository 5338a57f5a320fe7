import { z } from 'zod'
import type { ExecutorDeps } from './executor-deps'
import { runOpenLoop } from './open-loop'
import type { PhaseRunResult } from './phase-run-result'
import { createPhaseTally, requireStream } from './phase-tally'

// Trace replay (Mooncake timestamps): each item is sent at its own `at_ms / speed`, open loop.
export const FixedScheduleSpec = z.object({
  type: z.literal('fixedSchedule'),
  /** Time compression: 2 replays a trace twice as fast. @default 1 */
  speed: z.number().positive().default(1),
  /** Arrivals beyond this many running requests are dropped and recorded. @default 1024 */
  max_in_flight: z.number().int().positive().default(1024),
})
export type FixedScheduleSpec = z.infer<typeof FixedScheduleSpec>

export const runFixedSchedule = async (spec: FixedScheduleSpec, deps: ExecutorDeps): Promise<PhaseRunResult> => {
  const source = requireStream(deps, spec.type)
  const tally = createPhaseTally(deps)
  await runOpenLoop(
    deps,
    tally,
    () => {
      const item = source.next()
      if (item === null) return null
      if (typeof item.at_ms !== 'number' || !Number.isFinite(item.at_ms)) {
        throw new TypeError(`Expected at_ms on every fixedSchedule item, got ${item.at_ms} for request ${item.request.meta.request_id}`)
      }
      return { item, at_ms: item.at_ms / spec.speed }
    },
    spec.max_in_flight,
  )
  return tally.result()
}
