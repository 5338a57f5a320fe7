import type { RequestRecord } from '../../../helpers/client/request-record'
import { createRunClock, type RunClock } from '../../../helpers/client/run-clock'
import { droppedRecord } from '../../../helpers/load/dropped-record'
import type { ExecutorDeps } from '../../../helpers/load/executor-deps'
import type { ClientRequest, RequestStream, WorkItem, Workload } from '../../../helpers/workload/workload-types'

// In-test doubles for executor tests: a counting request stream and a send() that "serves" each
// request after a scripted delay, tracking how many are in flight.
export const request = (id: string, extra: Partial<ClientRequest['meta']> = {}): ClientRequest => ({
  endpoint: 'completions',
  stream: true,
  body: { prompt: id, max_tokens: 8 },
  meta: { request_id: id, workload: 'fake', prompt_sha: 's', params_hash: 'p', identity_hash: 'i', payload_hash: 'y', prompt_tokens_expected: 1, ...extra },
})

export const countingStream = (n = Number.POSITIVE_INFINITY, atMs?: (i: number) => number): Workload & { kind: 'stream'; source: RequestStream } => {
  let i = 0
  return {
    kind: 'stream',
    source: {
      name: 'counting',
      next: (): WorkItem | null => {
        if (i >= n) return null
        const item: WorkItem = { request: request(`r${i}`) }
        if (atMs) item.at_ms = atMs(i)
        i++
        return item
      },
    },
  }
}

export interface FakeHarness {
  deps: ExecutorDeps
  clock: RunClock
  records: RequestRecord[]
  /** In-flight count after each send starts, with its time. */
  concurrency: { t: number; n: number }[]
  maxInFlight(): number
  abort: AbortController
}

export const fakeHarness = (
  workload: Workload,
  serviceMs: number | ((item: WorkItem) => number),
  opts: { clock?: RunClock; answer?: (item: WorkItem) => string; scheduleDelayMs?: (seq: number) => number | null } = {},
): FakeHarness => {
  const clock = opts.clock ?? createRunClock()
  const records: RequestRecord[] = []
  const concurrency: FakeHarness['concurrency'] = []
  const abort = new AbortController()
  let inFlight = 0
  let seq = 0
  const ctx = (t: number, s: number) => ({ run_id: 'r', suite_id: 's', phase: 'p', phase_kind: 'measure' as const, mode: 'B0', t_scheduled_ms: t, seq: s })
  const deps: ExecutorDeps = {
    workload,
    clock,
    signal: abort.signal,
    send: async (item, t) => {
      const s = seq++
      const tSent = clock.nowMs()
      inFlight++
      concurrency.push({ t: tSent, n: inFlight })
      const ms = typeof serviceMs === 'number' ? serviceMs : serviceMs(item)
      await new Promise((r) => setTimeout(r, ms))
      inFlight--
      const rec = droppedRecord(item.request, ctx(t, s), clock, '')
      const forced = opts.scheduleDelayMs?.(s)
      Object.assign(rec, {
        ok: true,
        error_class: null,
        error_message: null,
        t_sent_ms: tSent,
        schedule_delay_ms: forced ?? tSent - t,
        t_end_ms: clock.nowMs(),
        e2e_ms: clock.nowMs() - tSent,
        ttft_ms: ms / 2,
      })
      if (opts.answer) rec.output_text = opts.answer(item)
      return rec
    },
    drop: (item, t, reason) => droppedRecord(item.request, ctx(t, seq++), clock, reason),
    onRecord: (r) => records.push(r),
  }
  return { deps, clock, records, concurrency, maxInFlight: () => Math.max(0, ...concurrency.map((c) => c.n)), abort }
}
