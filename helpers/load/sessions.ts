import { z } from 'zod'
import { seededRandom } from '../analysis/seeded-random'
import type { WorkResult } from '../workload/workload-types'
import type { ExecutorDeps } from './executor-deps'
import type { PhaseRunResult } from './phase-run-result'
import { createPhaseTally } from './phase-tally'
import { waitUntil } from './precise-wait'
import { standardNormal } from './random-variates'

// Multi-turn users: `users` run at once; each runs one session's turns in order (the next turn is
// built from the previous answer) with think time between them, then takes the next session.
// t_scheduled of a turn is previous end + think time, so a late timer shows as schedule delay.
export const SessionsSpec = z.object({
  type: z.literal('sessions'),
  users: z.number().int().positive(),
  think_time_ms: z.object({
    mean: z.number().nonnegative(),
    /** Normal spread, clamped at 0. @default 0 */
    stddev: z.number().nonnegative().default(0),
  }),
  /** No new turn starts after this; running turns finish. */
  duration_s: z.number().positive().optional(),
  /** Sessions started at most. @default all sessions of the workload */
  max_sessions: z.number().int().positive().optional(),
  /** @default 1 */
  seed: z.number().int().default(1),
})
export type SessionsSpec = z.infer<typeof SessionsSpec>

export const runSessions = async (spec: SessionsSpec, deps: ExecutorDeps): Promise<PhaseRunResult> => {
  if (deps.workload.kind !== 'sessions') {
    throw new TypeError(`Expected a sessions workload for executor sessions, got a ${deps.workload.kind} workload`)
  }
  const { clock, signal } = deps
  const tally = createPhaseTally(deps)
  const sessions = deps.workload.source.sessions()
  const limit = Math.min(spec.max_sessions ?? Number.POSITIVE_INFINITY, sessions.length)
  const deadline = spec.duration_s === undefined ? Number.POSITIVE_INFINITY : clock.nowMs() + spec.duration_s * 1000
  const rand = seededRandom(spec.seed)
  const think = () => Math.max(0, spec.think_time_ms.mean + spec.think_time_ms.stddev * standardNormal(rand))
  let next = 0
  const live = () => !signal.aborted && clock.nowMs() < deadline

  const user = async () => {
    while (live() && next < limit) {
      const session = sessions[next++]
      let previous: WorkResult | null = null
      let tScheduled = clock.nowMs()
      for (;;) {
        const item = session.nextTurn(previous)
        if (item === null) break
        await waitUntil(clock, tScheduled, signal)
        if (!live()) return
        let result: WorkResult = { ok: false, output_text: null }
        await tally.launch(item, tScheduled, (r) => {
          result = { ok: r.ok, output_text: r.output_text ?? null }
        })
        previous = result
        tScheduled = clock.nowMs() + think()
      }
    }
  }
  await Promise.all(Array.from({ length: spec.users }, user))
  return tally.result()
}
