import { listModels } from '../target/readiness'
import type { TargetInfo } from '../target/target'

// A phase must stop when the stack under it disappears, instead of recording thousands of
// connection errors as if they were latency: a dead process is TARGET_LOST, an empty
// /v1/models is MODEL_DROPPED (the Spark worker unregisters on oversize prompts).

export interface TargetWatcher {
  stop(): void
}

const alive = (pid: number): boolean => {
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
  const fire = (reason: 'TARGET_LOST' | 'MODEL_DROPPED') => {
    if (stopped) return
    stopped = true
    clearInterval(pidTimer)
    clearInterval(modelTimer)
    onLost(reason)
  }
  const pidTimer = setInterval(() => {
    if (info.kind === 'emulator' && info.pids.length && !info.pids.some(alive)) fire('TARGET_LOST')
  }, opts.pidPollMs ?? 250)
  let checking = false
  const modelTimer = setInterval(async () => {
    if (checking || stopped) return
    checking = true
    try {
      const models = await listModels(info.baseUrl, 2000)
      if (!stopped && models.length === 0) fire(info.kind === 'emulator' && !info.pids.some(alive) ? 'TARGET_LOST' : 'MODEL_DROPPED')
    } finally {
      checking = false
    }
  }, opts.modelPollMs ?? 2000)
  pidTimer.unref()
  modelTimer.unref()
  return {
    stop() {
      stopped = true
      clearInterval(pidTimer)
      clearInterval(modelTimer)
    },
  }
}
