import { setTimeout as sleep } from 'node:timers/promises'
import { listModels } from './readiness'

// A prompt over the engine's max_num_tokens can make Dynamo unregister the worker: /v1/models goes
// empty while /health and the frontend stay up, and every later request fails. The harness runs
// this watcher during a phase and stops the phase on MODEL_DROPPED instead of recording errors.

export interface WorkerDropped {
  reason: 'MODEL_DROPPED'
  /** ms since the watch started */
  atMs: number
  detail: string
}

export interface WorkerWatch {
  /** Resolves on the first drop; never rejects; stays pending while the model is listed. */
  readonly dropped: Promise<WorkerDropped>
  current(): WorkerDropped | null
  stop(): void
}

export interface WatchWorkerOptions {
  baseUrl: string
  /** A specific served model that must stay listed; otherwise any model counts. */
  model?: string
  /** @default 2000 */
  intervalMs?: number
  /** Consecutive bad polls before a drop is declared (one failed poll may be a hiccup). @default 2 */
  failuresBeforeDrop?: number
  onDrop?: (d: WorkerDropped) => void
}

export const watchWorker = (opts: WatchWorkerOptions): WorkerWatch => {
  const controller = new AbortController()
  const t0 = performance.now()
  const need = opts.failuresBeforeDrop ?? 2
  let state: WorkerDropped | null = null
  let resolveDrop: (d: WorkerDropped) => void = () => {}
  const dropped = new Promise<WorkerDropped>((resolve) => {
    resolveDrop = resolve
  })
  const loop = async () => {
    let bad = 0
    while (!controller.signal.aborted) {
      let detail: string | null = null
      try {
        const models = await listModels(opts.baseUrl)
        if (models.length === 0) detail = '/v1/models returned no models'
        else if (opts.model && !models.includes(opts.model)) detail = `/v1/models no longer lists ${opts.model} (got ${models.join(', ')})`
      } catch (err) {
        detail = `/v1/models failed: ${(err as Error).message}`
      }
      bad = detail ? bad + 1 : 0
      if (detail && bad >= need) {
        state = { reason: 'MODEL_DROPPED', atMs: performance.now() - t0, detail }
        opts.onDrop?.(state)
        resolveDrop(state)
        return
      }
      await sleep(opts.intervalMs ?? 2000, undefined, { signal: controller.signal }).catch(() => undefined)
    }
  }
  void loop()
  return { dropped, current: () => state, stop: () => controller.abort() }
}
