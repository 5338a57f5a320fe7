import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface SpawnedKvsim {
  url: string
  model: string
  pid: number
  stop(): Promise<void>
}

export interface SpawnKvsimOptions {
  /** @default 'tiny' */
  profile?: string
  /** @default 0.01 */
  timeScale?: number
  /** Pin kvsim to these CPUs with `taskset -c` (benchmarks keep it off the client's core). */
  cpus?: string
  extraArgs?: string[]
  /** @default 60000 */
  readyTimeoutMs?: number
}

const KVSIM_BIN = fileURLToPath(new URL('../../bin/kvsim.mjs', import.meta.url))

// stdin stays an open pipe: --exit-with-parent makes kvsim exit when it closes (we died).
// Starts kvsim on 127.0.0.1:0 and resolves with the URL from the JSON ready line it prints on
// stdout. Used by the client's integration test and bench/client.ts; the harness proper starts
// targets through helpers/target/.
export const spawnKvsim = (o: SpawnKvsimOptions = {}): Promise<SpawnedKvsim> => {
  const args = [KVSIM_BIN, '--profile', o.profile ?? 'tiny', '--port', '0', '--time-scale', String(o.timeScale ?? 0.01), '--exit-with-parent', ...(o.extraArgs ?? [])]
  const child: ChildProcess = o.cpus ? spawn('taskset', ['-c', o.cpus, process.execPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }) : spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), 5000).unref()
    })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`Expected a kvsim ready line within ${o.readyTimeoutMs ?? 60000} ms, got stdout ${JSON.stringify(out.slice(0, 500))} stderr ${JSON.stringify(err.slice(-500))}`))
    }, o.readyTimeoutMs ?? 60_000)
    child.stderr?.on('data', (c: Buffer) => {
      if (err.length < 100_000) err += c.toString()
    })
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString()
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue
        try {
          const j = JSON.parse(line) as { url?: string; model?: string }
          if (typeof j.url === 'string') {
            clearTimeout(timer)
            child.stdout?.removeAllListeners('data')
            child.stdout?.resume()
            resolve({ url: j.url, model: j.model ?? 'kvsim/tiny', pid: child.pid as number, stop })
            return
          }
        } catch {
          // partial line; wait for more output
        }
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`Expected kvsim to start, got exit code ${code}: ${err.slice(-1000)}`))
    })
  })
}
