import { Worker } from 'node:worker_threads'
import type { TokenizerId } from '../tokenizer/tokenizer'
import type { RequestRecord } from './request-record'
import type { ClientStats, StreamClient, StreamClientOptions } from './stream-client'
import type { ShardInit, ShardMessage, ShardStats } from './stream-client-worker'

export interface ShardedStreamClientOptions extends Omit<StreamClientOptions, 'tokenizer'> {
  /** Worker threads, each with its own event loop and Pool of ceil(maxInFlight / shards) connections. */
  shards: number
  /** Tokenizers cannot cross threads; each shard loads its own by id. */
  tokenizerId?: TokenizerId
}

interface Shard {
  worker: Worker
  inFlight: number
  onStats: ((s: ShardStats) => void) | null
}

export interface ShardedStreamClient extends StreamClient {
  /** Each shard's GC pauses and loop delay since the previous call (benchmarks; the main thread cannot see them). */
  shardStats(): Promise<ShardStats[]>
}

// The same StreamClient interface spread over worker threads: for hosts with spare cores, when one
// event loop reading hundreds of sockets in a row is what limits timestamp accuracy. t_sent is taken
// inside the shard, so the hand-off to the worker counts as schedule delay, as it should.
export const createShardedStreamClient = async (opts: ShardedStreamClientOptions): Promise<ShardedStreamClient> => {
  if (!Number.isInteger(opts.shards) || opts.shards < 1) throw new TypeError(`Expected shards to be a positive integer, got ${opts.shards}`)
  const perShard = Math.ceil(opts.maxInFlight / opts.shards)
  const init: ShardInit = {
    originNs: opts.clock.originNs.toString(),
    baseUrl: opts.baseUrl,
    model: opts.model,
    maxInFlight: perShard,
    headersTimeoutMs: opts.headersTimeoutMs,
    bodyTimeoutMs: opts.bodyTimeoutMs,
    keepItl: opts.keepItl,
    keepAlive: opts.keepAlive,
    tokenizerId: opts.tokenizerId,
  }
  const pending = new Map<number, (r: RequestRecord) => void>()
  let nextId = 0
  const shards: Shard[] = await Promise.all(
    Array.from({ length: opts.shards }, async () => {
      // The shard is TypeScript; its .mjs entry registers tsx inside the worker thread first.
      const worker = new Worker(new URL('./stream-client-worker-boot.mjs', import.meta.url), { workerData: init })
      const shard: Shard = { worker, inFlight: 0, onStats: null }
      await new Promise<void>((resolve, reject) => {
        worker.once('error', reject)
        worker.on('message', (m: { type: string; id?: number; record?: RequestRecord; stats?: ShardStats }) => {
          if (m.type === 'ready') resolve()
          else if (m.type === 'stats' && m.stats) {
            const cb = shard.onStats
            shard.onStats = null
            cb?.(m.stats)
          }
          else if (m.type === 'record' && m.id !== undefined && m.record) {
            shard.inFlight--
            const done = pending.get(m.id)
            pending.delete(m.id)
            done?.(m.record)
          }
        })
      })
      return shard
    }),
  )

  return {
    send(req, ctx) {
      // Least-loaded shard; ties go to the first.
      let shard = shards[0]
      for (const s of shards) if (s.inFlight < shard.inFlight) shard = s
      const id = nextId++
      shard.inFlight++
      const { signal, ...plain } = ctx
      return new Promise<RequestRecord>((resolve) => {
        pending.set(id, resolve)
        if (signal) {
          const onAbort = () => shard.worker.postMessage({ type: 'abort', id } satisfies ShardMessage)
          if (signal.aborted) onAbort()
          else signal.addEventListener('abort', onAbort, { once: true })
          pending.set(id, (r) => {
            signal.removeEventListener('abort', onAbort)
            resolve(r)
          })
        }
        shard.worker.postMessage({ type: 'send', id, req, ctx: plain } satisfies ShardMessage)
      })
    },
    shardStats: () =>
      Promise.all(
        shards.map(
          (s) =>
            new Promise<ShardStats>((resolve) => {
              s.onStats = resolve
              s.worker.postMessage({ type: 'stats' } satisfies ShardMessage)
            }),
        ),
      ),
    stats(): ClientStats {
      // Counted on this side of the hand-off: running up to each shard's pool size, the rest queued.
      let running = 0
      let queued = 0
      for (const s of shards) {
        running += Math.min(s.inFlight, perShard)
        queued += Math.max(0, s.inFlight - perShard)
      }
      return { queued, pending: 0, running, connected: running }
    },
    async close() {
      await Promise.all(
        shards.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.worker.on('message', (m: { type: string }) => {
                if (m.type === 'closed') resolve()
              })
              s.worker.postMessage({ type: 'close' } satisfies ShardMessage)
              setTimeout(resolve, 5000).unref()
            }),
        ),
      )
      await Promise.all(shards.map((s) => s.worker.terminate()))
    },
  }
}
