import { createWriteStream, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { killGroup, reapGroup, watchChildGroup } from '../suite/child-watchdog'
import { type Collector, type CollectorOptions, DEFAULT_CADENCE_MS, type Sample, type Series, emptySeries } from './collector'

// Raw sysstat logs next to our own samples, so a reader can check our numbers against the
// tools everyone trusts: iostat -x, pidstat, mpstat at 1 s, killed on stop.
export interface SysstatOptions extends CollectorOptions<Sample> {
  telemetryDir: string
  /** Disk names for iostat (e.g. ['nvme0n1']); all disks when empty. */
  disks: string[]
  pids: number[]
  /** Where each tool is (tests point these at stand-ins or at missing files). @default names on PATH */
  binaries?: { iostat?: string; pidstat?: string; mpstat?: string }
}

const have = async (bin: string) => (await execa('which', [bin], { reject: false })).exitCode === 0

export const createSysstatCollector = (opts: SysstatOptions): Collector<Sample> & { files: string[]; readonly pids: number[] } => {
  const series: Series<Sample> = emptySeries('sysstat', opts.cadenceMs ?? DEFAULT_CADENCE_MS)
  const procs: ResultPromise[] = []
  const files: string[] = []
  let state: 'idle' | 'running' | 'stopped' = 'idle'
  const bin = { iostat: 'iostat', pidstat: 'pidstat', mpstat: 'mpstat', ...opts.binaries }
  const spawn = (exe: string, args: string[], file: string) => {
    mkdirSync(opts.telemetryDir, { recursive: true })
    const path = join(opts.telemetryDir, file)
    const out = createWriteStream(path, { flags: 'a' })
    // Its own process group, killed as a group, and a watchdog that kills it if we die first.
    const p = execa(exe, args, { buffer: false, reject: false, detached: true, cleanup: true, env: { S_TIME_FORMAT: 'ISO', LC_ALL: 'C' } })
    if (p.pid) watchChildGroup(p.pid)
    p.stdout?.pipe(out)
    p.stderr?.pipe(out)
    procs.push(p)
    files.push(path)
  }
  return {
    name: 'sysstat',
    files,
    get pids() {
      return procs.flatMap((p) => (p.pid ? [p.pid] : []))
    },
    available: async () =>
      (await have(bin.iostat)) ? { available: true } : { available: false, reason: `Expected sysstat (${bin.iostat}) on PATH, got none (apt-get install sysstat)` },
    async start() {
      if (state !== 'idle') return
      state = 'running'
      if (await have(bin.iostat)) spawn(bin.iostat, ['-x', '-t', ...opts.disks, '1'], 'iostat.log')
      if ((await have(bin.pidstat)) && opts.pids.length) spawn(bin.pidstat, ['-d', '-u', '-r', '-h', '-p', opts.pids.join(','), '1'], 'pidstat.log')
      if (await have(bin.mpstat)) spawn(bin.mpstat, ['1'], 'mpstat.log')
      // The one sample marks when the logs start; with no tool running there is nothing to mark.
      if (procs.length === 0) return
      const s = { t_ms: opts.clock.nowMs(), wall_ms: opts.clock.wallMs() }
      series.samples.push(s)
      opts.onSample?.(s)
    },
    async stop() {
      if (state === 'running') {
        for (const p of procs) killGroup(p.pid, 'SIGTERM')
        await Promise.all(procs.map((p) => p.catch(() => undefined)))
        // Whatever the tools forked must be gone too before we say stopped.
        for (const p of procs) if (p.pid) await reapGroup(p.pid)
      }
      state = 'stopped'
      return series
    },
    snapshot: async () => ({ processes: state === 'running' && procs.length ? procs.length : null }),
  }
}
