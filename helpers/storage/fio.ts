import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa, type ResultPromise } from 'execa'
import type { TelemetryClock } from '../telemetry/collector'
import { killGroup, killProcessesNaming, reapGroup, watchChildGroup } from '../suite/child-watchdog'
import { ContentionUnavailableError } from './contention-unavailable-error'
import { assertInsideScratch, assertJobFileSafe, assertSafeScratch } from './fio-guard'
import { type FioResult, parseFioJson } from './fio-result'
import { probeODirect } from './o-direct'

// Storage contention for H4A/H4B: fio runs a time-based profile from configs/fio/ during a phase
// and is stopped with SIGINT afterwards, which makes it write its json+ report. Its files live in
// a fresh directory inside the guarded scratch dir and are removed on stop, on process exit and
// on SIGINT/SIGTERM.
export const FIO_PROFILES = ['moderate', 'heavy', 'read-moderate', 'read-heavy'] as const
export type FioProfile = (typeof FIO_PROFILES)[number]

export const FIO_PROFILE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../configs/fio')

export interface ContentionOptions {
  profile: FioProfile | string
  /** Configured scratch dir; must be on the KV cache dir's filesystem. */
  scratchDir: string
  kvCacheDir: string
  /** Where the JSON report and the stderr log are kept (the suite's contention dir). */
  outDir: string
  clock: TelemetryClock
  /** File size per fio job. @default '1G' */
  size?: string
  /** Wait until fio has laid out its files (so the phase starts under load). @default true */
  waitForLayout?: boolean
  /** @default 120000 */
  layoutTimeoutMs?: number
  /** Directory holding <profile>.fio. @default configs/fio */
  profileDir?: string
  /** @default 'fio' */
  binary?: string
  /**
   * fio's own runtime bound (runtime= in the job file), so fio ends by itself even if nobody stops it:
   * the phase's planned length plus a margin. @default 3600
   */
  runtimeS?: number
}

export interface Contention {
  readonly profile: string
  readonly workDir: string
  readonly pid: number | undefined
  stop(): Promise<FioResult>
}

// Everything to remove if the process dies before stop(): synchronous, so it also works in 'exit'.
const live = new Map<string, { proc: ResultPromise; marker: string }>()
let handlersInstalled = false
const cleanupAll = () => {
  for (const [dir, { proc, marker }] of live) {
    // fio forks a worker per job; the workers call setsid(), so the group kill alone misses them:
    // they are found by the output path on their command line.
    killGroup(proc.pid, 'SIGKILL')
    killProcessesNaming(marker)
    rmSync(dir, { recursive: true, force: true })
  }
  live.clear()
}
const onSignal = (sig: NodeJS.Signals) => {
  cleanupAll()
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  handlersInstalled = false
  // Nobody else handles it: behave like the default (terminate with the signal).
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig)
}
const installHandlers = () => {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on('exit', cleanupAll)
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

const parseSize = (s: string): number => {
  const m = /^(\d+(?:\.\d+)?)([kmgt]?)i?b?$/i.exec(s.trim())
  if (!m) throw new ContentionUnavailableError(`Expected a fio size like 256M or 1G, got ${s}`)
  return Number(m[1]) * 1024 ** ' kmgt'.indexOf(m[2].toLowerCase() || ' ')
}

const dirBytes = (d: string) => readdirSync(d).reduce((a, f) => a + statSync(join(d, f)).size, 0)

export const startContention = async (opts: ContentionOptions): Promise<Contention> => {
  const bin = opts.binary ?? 'fio'
  // Configuration first (profile, job-file guard, scratch), then the tool: a bad profile is reported
  // as such on a machine without fio too.
  const jobFile = join(opts.profileDir ?? FIO_PROFILE_DIR, `${opts.profile}.fio`)
  if (!existsSync(jobFile)) throw new ContentionUnavailableError(`Expected fio profile ${jobFile}, got no such file (profiles: ${FIO_PROFILES.join(', ')})`)
  const jobText = readFileSync(jobFile, 'utf8')
  assertJobFileSafe(jobText, opts.profile)
  const scratch = assertSafeScratch(opts.scratchDir, opts.kvCacheDir)
  const od = probeODirect(scratch)
  if (!od.supported && /direct\s*=\s*1/.test(jobText)) throw new ContentionUnavailableError(od.reason ?? 'O_DIRECT unsupported')
  const which = await execa(bin, ['--version'], { reject: false })
  if (which.exitCode !== 0)
    throw new ContentionUnavailableError(`Expected ${bin} on PATH for contention profile ${opts.profile}, got ${which.failed && which.exitCode === undefined ? 'none (apt-get install fio)' : `exit ${which.exitCode}`}`)
  const runtimeS = Math.max(1, Math.ceil(opts.runtimeS ?? 3600))
  const size = opts.size ?? '1G'
  const numjobs = Number(/numjobs\s*=\s*(\d+)/.exec(jobText)?.[1] ?? 1)
  const workDir = assertInsideScratch(mkdtempSync(join(scratch, 'tierbench-fio-')), scratch)
  mkdirSync(opts.outDir, { recursive: true })
  const jsonFile = join(opts.outDir, `fio-${opts.profile}-${Date.now()}.json`)
  installHandlers()
  const t_start_ms = opts.clock.nowMs()
  const proc = execa(bin, ['--output-format=json+', `--output=${jsonFile}`, jobFile], {
    env: { TIERBENCH_FIO_DIR: workDir, TIERBENCH_FIO_SIZE: size, TIERBENCH_FIO_RUNTIME: String(runtimeS) },
    reject: false,
    // Its own process group: a terminal Ctrl-C reaches us first, and we decide how fio stops. The
    // watchdog kills the group if we die without running any handler (SIGKILL, OOM).
    detached: true,
    cleanup: true,
  })
  if (proc.pid) watchChildGroup(proc.pid, process.pid, 1, jsonFile)
  live.set(workDir, { proc, marker: jsonFile })
  let exited = false
  void proc.finally(() => {
    exited = true
  })
  if (opts.waitForLayout !== false) {
    const want = parseSize(size) * numjobs
    const deadline = Date.now() + (opts.layoutTimeoutMs ?? 120_000)
    while (!exited && dirBytes(workDir) < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    if (exited) {
      const r = await proc
      if (proc.pid) await reapGroup(proc.pid)
      killProcessesNaming(jsonFile)
      live.delete(workDir)
      rmSync(workDir, { recursive: true, force: true })
      throw new ContentionUnavailableError(`Expected fio ${opts.profile} to keep running, got exit ${r.exitCode}: ${String(r.stderr).slice(0, 300)}`)
    }
  }
  let result: Promise<FioResult> | null = null
  return {
    profile: opts.profile,
    workDir,
    pid: proc.pid,
    stop() {
      result ??= (async () => {
        if (!exited) proc.kill('SIGINT')
        const killTimer = setTimeout(() => killGroup(proc.pid, 'SIGKILL'), 15_000)
        const r = await proc
        clearTimeout(killTimer)
        // Workers that outlive their master (fio's ignore SIGTERM) must not keep loading the disk.
        if (proc.pid) await reapGroup(proc.pid, 5000)
        // Job processes that left the group (setsid) and outlived their master.
        killProcessesNaming(jsonFile)
        const t_end_ms = opts.clock.nowMs()
        live.delete(workDir)
        rmSync(workDir, { recursive: true, force: true })
        const base = { profile: opts.profile, t_start_ms, t_end_ms, exit_code: r.exitCode ?? null }
        try {
          return { ...base, ...parseFioJson(readFileSync(jsonFile, 'utf8')), json_file: jsonFile }
        } catch (e) {
          const none = { io_bytes: 0, bw_bytes_s: 0, iops: 0, clat_p50_us: null, clat_p99_us: null, clat_p999_us: null, clat_mean_us: null }
          return { ...base, runtime_ms: null, read: none, write: none, json_file: existsSync(jsonFile) ? jsonFile : null, errors: [`Expected fio json+ in ${jsonFile}, got ${(e as Error).message}; stderr: ${String(r.stderr).slice(0, 300)}`] }
        }
      })()
      return result
    },
  }
}
