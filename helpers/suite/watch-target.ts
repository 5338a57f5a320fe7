import { watchWorker } from '../target/dynamo-watch'
import type { TargetInfo } from '../target/target'

// A phase must stop when the stack under it disappears, instead of recording thousands of
// connection errors as if they were latency: a dead serving process is TARGET_LOST, an empty
// /v1/models is MODEL_DROPPED (the Spark worker unregisters on oversize prompts).

export interface TargetWatcher {
  stop(): void
}

/** Whether a process exists (EPERM: it exists but belongs to someone else). */
export const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export const watchTarget = (
  info: TargetInfo,
  onLost: (reason: 'TARGET_LOST' | 'MODEL_DROPPED') => void,
  opts: { pidPollMs?: number; modelPollMs?: number } = {},
): TargetWatcher => {
  let stopped = false
  const ownsPids = info.kind === 'emulator' && info.pids.length > 0
  const fire = (reason: 'TARGET_LOST' | 'MODEL_DROPPED') => {
    if (stopped) return
    stopped = true
    clearInterval(pidTimer)
    models.stop()
    onLost(reason)
  }
  const pidTimer = setInterval(() => {
    if (ownsPids && !info.pids.some(processAlive)) fire('TARGET_LOST')
  }, opts.pidPollMs ?? 250)
  pidTimer.unref()
  // A dead process also empties /v1/models (connection refused): report the stronger fact.
  const models = watchWorker({
    baseUrl: info.baseUrl,
    intervalMs: opts.modelPollMs ?? 2000,
    onDrop: () => fire(ownsPids && !info.pids.some(processAlive) ? 'TARGET_LOST' : 'MODEL_DROPPED'),
  })
  return {
    stop() {
      stopped = true
      clearInterval(pidTimer)
      models.stop()
    },
  }
}
