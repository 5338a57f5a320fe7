import { describe, expect, test } from 'vitest'
import { runSessions, SessionsSpec } from '../../../helpers/load/sessions'
import type { Session, WorkItem, WorkResult } from '../../../helpers/workload/workload-types'
import { fakeHarness, request } from './fake-deps'

const sessionSource = (n: number, turns: number, seen: Map<string, (WorkResult | null)[]>) => ({
  kind: 'sessions' as const,
  source: {
    name: 'chat',
    sessions: (): Session[] =>
      Array.from({ length: n }, (_, s) => {
        let turn = 0
        const id = `s${s}`
        seen.set(id, [])
        return {
          id,
          nextTurn: (prev: WorkResult | null): WorkItem | null => {
            seen.get(id)!.push(prev)
            if (turn >= turns) return null
            return { request: request(`${id}-t${turn}`, { session_id: id, turn: turn++ }) }
          },
        }
      }),
  },
})

describe('sessions', () => {
  test('users run turns in order, each built from the previous answer, with think time between', async () => {
    const seen = new Map<string, (WorkResult | null)[]>()
    const h = fakeHarness(sessionSource(3, 3, seen), 10, { answer: (item) => `answer to ${item.request.meta.request_id}` })
    const spec = SessionsSpec.parse({ type: 'sessions', users: 2, think_time_ms: { mean: 40 } })
    const res = await runSessions(spec, h.deps)
    expect(res).toMatchObject({ sent: 9, completed: 9, errors: 0 })
    expect(h.maxInFlight()).toBe(2)
    for (const [id, prevs] of seen) {
      expect(prevs[0]).toBeNull()
      expect(prevs.slice(1).map((p) => p?.output_text)).toEqual([0, 1, 2].map((t) => `answer to ${id}-t${t}`))
      const recs = h.records.filter((r) => r.session_id === id).sort((a, b) => a.turn! - b.turn!)
      for (let i = 1; i < recs.length; i++) {
        const gap = recs[i].t_scheduled_ms - recs[i - 1].t_end_ms
        expect(gap).toBeGreaterThanOrEqual(39)
        expect(gap).toBeLessThan(150)
        expect(recs[i].t_sent_ms).toBeGreaterThanOrEqual(recs[i].t_scheduled_ms)
      }
    }
  })

  test('max_sessions caps the sessions started and duration_s stops new turns', async () => {
    const seen = new Map<string, (WorkResult | null)[]>()
    const h = fakeHarness(sessionSource(10, 2, seen), 5)
    const res = await runSessions(SessionsSpec.parse({ type: 'sessions', users: 3, think_time_ms: { mean: 0 }, max_sessions: 4 }), h.deps)
    expect(res.sent).toBe(8)
    const g = fakeHarness(sessionSource(100, 100, new Map()), 20)
    const res2 = await runSessions(SessionsSpec.parse({ type: 'sessions', users: 2, think_time_ms: { mean: 10, stddev: 5 }, duration_s: 0.2 }), g.deps)
    expect(g.records.every((r) => r.t_scheduled_ms < res2.t_start_ms + 200)).toBe(true)
    expect(res2.sent).toBeGreaterThan(4)
  })
})
