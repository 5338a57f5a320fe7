import { setMaxListeners } from 'node:events'
import type { RequestRecord } from '../client/request-record'
import type { RunClock } from '../client/run-clock'
import type { SendContext, StreamClient } from '../client/stream-client'
import type { Workload } from '../workload/workload-types'
import { runArrivalRate } from './arrival-rate'
import { runConstantConcurrency } from './constant-concurrency'
import { droppedRecord } from './dropped-record'
import type { ExecutorDeps } from './executor-deps'
import { type ExecutorSpec, plannedDurationS } from './executor-spec'
import { runFixedSchedule } from './fixed-schedule'
import type { PhaseRunResult } from './phase-run-result'
import { startProgress } from './progress'
import { runRampingArrivalRate } from './ramping-arrival-rate'
import { runRampingConcurrency } from './ramping-concurrency'
import { runSessions } from './sessions'

export type PhaseContext = Omit<SendContext, 't_scheduled_ms' | 'seq' | 'signal'>

export interface RunPhaseOptions {
  executor: ExecutorSpec
  workload: Workload
  client: Pick<StreamClient, 'send' | 'stats'>
  clock: RunClock
  signal: AbortSignal
  context: PhaseContext
  onRecord: (record: RequestRecord) => void
  /** Print a heartbeat line to stderr every 5 s. @default false */
  progress?: boolean
  /** Heartbeat sink, for tests. @default process.stderr */
  progressWrite?: (line: string) => void
}

export const runExecutor = (spec: ExecutorSpec, deps: ExecutorDeps): Promise<PhaseRunResult> => {
  switch (spec.type) {
    case 'constantConcurrency':
      return runConstantConcurrency(spec, deps)
    case 'rampingConcurrency':
      return runRampingConcurrency(spec, deps)
    case 'arrivalRate':
      return runArrivalRate(spec, deps)
    case 'ramping':
      return runRampingArrivalRate(spec, deps)
    case 'fixedSchedule':
      return runFixedSchedule(spec, deps)
    case 'sessions':
      return runSessions(spec, deps)
  }
}

// Wires workload + executor + client for one phase: numbers requests (seq) in send order, stamps the
// phase identity on every record, passes the phase signal to the client so an interrupt aborts
// in-flight requests, and streams each record to onRecord as it finishes.
export const runPhase = async (o: RunPhaseOptions): Promise<PhaseRunResult> => {
  let seq = 0
  // Every in-flight request listens on the phase signal (undici aborts through it); hundreds of
  // listeners are expected, so the phase gets its own signal without the 10-listener warning.
  const phaseAbort = new AbortController()
  setMaxListeners(0, phaseAbort.signal)
  const forward = () => phaseAbort.abort(o.signal.reason)
  if (o.signal.aborted) forward()
  else o.signal.addEventListener('abort', forward, { once: true })
  const signal = phaseAbort.signal
  // Sessions need each answer to build the next turn; the text is kept only in memory and stripped
  // from the record unless the workload itself asked to keep it.
  const stripText = new Set<string>()
  const progress = o.progress
    ? startProgress({
        phase: o.context.phase,
        planned_s: plannedDurationS(o.executor),
        planned_requests: 'iterations' in o.executor ? (o.executor.iterations ?? null) : null,
        clock: o.clock,
        inFlight: () => {
          const s = o.client.stats()
          return s.running + s.pending + s.queued
        },
        write: o.progressWrite,
      })
    : null
  const deps: ExecutorDeps = {
    workload: o.workload,
    clock: o.clock,
    signal,
    send: (item, t_scheduled_ms) => {
      let req = item.request
      if (o.workload.kind === 'sessions' && !req.meta.keep_text) {
        req = { ...req, meta: { ...req.meta, keep_text: true } }
        stripText.add(req.meta.request_id)
      }
      return o.client.send(req, { ...o.context, t_scheduled_ms, seq: seq++, signal })
    },
    drop: (item, t_scheduled_ms, reason) => droppedRecord(item.request, { ...o.context, t_scheduled_ms, seq: seq++ }, o.clock, reason),
    onRecord: (r) => {
      if (stripText.delete(r.request_id)) delete r.output_text
      progress?.record(r)
      o.onRecord(r)
    },
  }
  try {
    return await runExecutor(o.executor, deps)
  } finally {
    o.signal.removeEventListener('abort', forward)
    if (progress) {
      ;(o.progressWrite ?? ((l: string) => process.stderr.write(l + '\n')))(progress.line() + ' (phase end)')
      progress.stop()
    }
  }
}
