import { createWriteStream, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { execa, type ResultPromise } from 'execa'
import { killGroup as killProcessGroup } from '../suite/child-watchdog'

// A long-running process on the host (worker/frontend without docker, or kvsim standing in for the
// worker): its own process group so stop() reaches every child, stdout+stderr appended to a log
// file, and an optional first JSON line announcing its URLs. Stopping is by exact pid, never by name.

export interface HostProcessOptions {
  argv: string[]
  /** Complete environment for the child: nothing else is inherited. */
  env: Record<string, string>
  logFile: string
  cwd?: string
  /** Capture the first stdout line that parses as a JSON object. @default false */
  announceJson?: boolean
}

export interface HostProcessExit {
  code: number | null
  signal: string | null
}

export interface HostProcess {
  readonly pid: number
  readonly logFile: string
  /** Resolves when the process exits (never rejects). */
  readonly exited: Promise<HostProcessExit>
  /** The announced JSON object; rejects if the process exits first or `timeoutMs` passes. */
  announcement(timeoutMs: number): Promise<Record<string, unknown>>
  alive(): boolean
  /** SIGTERM the process group, SIGKILL after `graceMs`, then reap. */
  stop(graceMs: number): Promise<HostProcessExit>
}

/**
 * The environment a child should see: `base` minus every DYN_KVBM_* (never inherited), then
 * `overrides`, where `undefined` removes the key.
 */
export const buildChildEnv = (
  base: NodeJS.ProcessEnv,
  overrides: Record<string, string | undefined>,
): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !k.startsWith('DYN_KVBM_')) env[k] = v
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

// Detached children outlive a crashed parent (execa's cleanup skips detached ones), so the groups
// still running when this process exits get a SIGTERM.
const liveGroups = new Set<number>()
let exitHookInstalled = false
const installExitHook = () => {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const pid of liveGroups) {
      try {
        process.kill(-pid, 'SIGTERM')
      } catch {
        // already gone
      }
    }
  })
}

export const launchHostProcess = (opts: HostProcessOptions): HostProcess => {
  if (opts.argv.length === 0) throw new Error('Expected a non-empty argv for the host process, got []')
  mkdirSync(dirname(opts.logFile), { recursive: true })
  const log = createWriteStream(opts.logFile, { flags: 'a' })
  const child: ResultPromise = execa(opts.argv[0], opts.argv.slice(1), {
    env: opts.env,
    extendEnv: false,
    cwd: opts.cwd,
    detached: true,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: true,
  })
  if (child.pid === undefined) throw new Error(`Expected a pid for ${opts.argv.join(' ')}, got none (spawn failed)`)
  const pid = child.pid
  let exitInfo: HostProcessExit | null = null
  installExitHook()
  liveGroups.add(pid)

  let announced: Record<string, unknown> | null = null
  const waiters: ((v: Record<string, unknown> | null) => void)[] = []
  let lineBuf = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    log.write(chunk)
    if (!opts.announceJson || announced) return
    lineBuf += chunk.toString('utf8')
    let idx: number
    while ((idx = lineBuf.indexOf('\n')) >= 0 && !announced) {
      const line = lineBuf.slice(0, idx).trim()
      lineBuf = lineBuf.slice(idx + 1)
      if (!line.startsWith('{')) continue
      try {
        const obj = JSON.parse(line) as unknown
        if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
          announced = obj as Record<string, unknown>
          for (const w of waiters.splice(0)) w(announced)
        }
      } catch {
        // not the announcement; keep reading
      }
    }
  })
  child.stderr?.on('data', (chunk: Buffer) => log.write(chunk))

  const exited: Promise<HostProcessExit> = child.then(
    (r) => {
      liveGroups.delete(pid)
      exitInfo = { code: r.exitCode ?? null, signal: r.signal ?? null }
      for (const w of waiters.splice(0)) w(null)
      return new Promise<HostProcessExit>((resolve) => log.end(() => resolve(exitInfo as HostProcessExit)))
    },
    () => {
      liveGroups.delete(pid)
      exitInfo = { code: null, signal: null }
      for (const w of waiters.splice(0)) w(null)
      return exitInfo
    },
  )

  const killGroup = (signal: NodeJS.Signals) => killProcessGroup(pid, signal)

  return {
    pid,
    logFile: opts.logFile,
    exited,
    alive: () => exitInfo === null,
    announcement: async (timeoutMs) => {
      if (announced) return announced
      if (exitInfo) throw new Error(`Expected ${opts.argv[0]} (pid ${pid}) to announce its URLs, got exit ${JSON.stringify(exitInfo)}`)
      const got = await Promise.race([
        new Promise<Record<string, unknown> | null>((resolve) => waiters.push(resolve)),
        sleep(timeoutMs).then(() => 'timeout' as const),
      ])
      if (got === 'timeout') throw new Error(`Expected ${opts.argv[0]} (pid ${pid}) to print a JSON line within ${timeoutMs} ms, got none`)
      if (got === null) throw new Error(`Expected ${opts.argv[0]} (pid ${pid}) to announce its URLs, got exit ${JSON.stringify(exitInfo)}`)
      return got
    },
    stop: async (graceMs) => {
      if (exitInfo) return exitInfo
      killGroup('SIGTERM')
      const res = await Promise.race([exited, sleep(graceMs).then(() => null)])
      if (res) return res
      killGroup('SIGKILL')
      return exited
    },
  }
}
