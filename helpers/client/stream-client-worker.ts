import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks'
import { parentPort, workerData } from 'node:worker_threads'
import { getTokenizer, type TokenizerId } from '../tokenizer/tokenizer'
import type { ClientRequest } from '../workload/workload-types'
import { createRunClock } from './run-clock'
import { createStreamClient, type SendContext } from './stream-client'

// One shard of the sharded client: its own event loop, undici Pool and parser, stamping with the
// run's CLOCK_MONOTONIC origin, so socket reads and parsing spread over several cores.
export interface ShardInit {
  originNs: string
  baseUrl: string
  model: string
  maxInFlight: number
  headersTimeoutMs?: number
  bodyTimeoutMs?: number
  keepItl?: boolean
  keepAlive?: boolean
  tokenizerId?: TokenizerId
}

export type ShardMessage =
  | { type: 'send'; id: number; req: ClientRequest; ctx: Omit<SendContext, 'signal'> }
  | { type: 'abort'; id: number }
  | { type: 'close' }
  /** Reply with this shard's GC and event-loop figures since the last 'stats' (then reset). */
  | { type: 'stats' }

/** One shard's own figures: GC pauses and event-loop delay are per thread, invisible from the main one. */
export interface ShardStats {
  gc_ms: number
  gc_count: number
  gc_max_ms: number
  loop_delay_p99_ms: number
}

const init = workerData as ShardInit
const port = parentPort
if (port) {
  const client = createStreamClient({
    baseUrl: init.baseUrl,
    model: init.model,
    maxInFlight: init.maxInFlight,
    clock: createRunClock(BigInt(init.originNs)),
    headersTimeoutMs: init.headersTimeoutMs,
    bodyTimeoutMs: init.bodyTimeoutMs,
    keepItl: init.keepItl,
    keepAlive: init.keepAlive,
    tokenizer: init.tokenizerId ? getTokenizer(init.tokenizerId) : undefined,
  })
  const aborts = new Map<number, AbortController>()
  let gc = { gc_ms: 0, gc_count: 0, gc_max_ms: 0 }
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) {
      gc.gc_ms += e.duration
      gc.gc_count++
      if (e.duration > gc.gc_max_ms) gc.gc_max_ms = e.duration
    }
  }).observe({ entryTypes: ['gc'] })
  const eld = monitorEventLoopDelay({ resolution: 10 })
  eld.enable()
  port.on('message', (m: ShardMessage) => {
    if (m.type === 'send') {
      const ac = new AbortController()
      aborts.set(m.id, ac)
      void client.send(m.req, { ...m.ctx, signal: ac.signal }).then((record) => {
        aborts.delete(m.id)
        port.postMessage({ type: 'record', id: m.id, record })
      })
    } else if (m.type === 'abort') aborts.get(m.id)?.abort()
    else if (m.type === 'stats') {
      const stats: ShardStats = { ...gc, loop_delay_p99_ms: eld.percentile(99) / 1e6 }
      gc = { gc_ms: 0, gc_count: 0, gc_max_ms: 0 }
      eld.reset()
      port.postMessage({ type: 'stats', stats })
    } else if (m.type === 'close') void client.close().then(() => port.postMessage({ type: 'closed' }))
  })
  port.postMessage({ type: 'ready' })
}
