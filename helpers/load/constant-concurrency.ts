import { z } from 'zod'
import type { ExecutorDeps } from './executor-deps'
import type { PhaseRunResult } from './phase-run-result'
import { createPhaseTally, requireStream } from './phase-tally'

// Closed loop (k6 constant-vus): `concurrency` slots, each sends its next request the moment its
// previous one finished, so t_scheduled is when the slot freed. Stops at duration_s, after
// `iterations` requests in total, or when the workload runs out, whichever comes first.
export const ConstantConcurrencySpec = z.object({
  type: z.literal('constantConcurrency'),
  concurrency: z.number().int().positive(),
  duration_s: z.number().positive().optional(),
  iterations: z.number().int().positive().optional(),
})
export type ConstantConcurrencySpec = z.infer<typeof ConstantConcurrencySpec>

export const runConstantConcurrency = async (spec: ConstantConcurrencySpec, deps: ExecutorDeps): Promise<PhaseRunResult> => {
  const source = requireStream(deps, spec.type)
  const { clock, signal } = deps
  const tally = createPhaseTally(deps)
  const deadline = spec.duration_s === undefined ? Number.POSITIVE_INFINITY : clock.nowMs() + spec.duration_s * 1000
  let remaining = spec.iterations ?? Number.POSITIVE_INFINITY
  let exhausted = false
  const slot = async () => {
    let tFree = clock.nowMs()
    while (!signal.aborted && !exhausted && remaining > 0 && tFree < deadline) {
      const item = source.next()
      if (item === null) {
        exhausted = true
        return
      }
      remaining--
      await tally.launch(item, tFree)
      tFree = clock.nowMs()
    }
  }
  await Promise.all(Array.from({ length: spec.concurrency }, slot))
  return tally.result()
}
