import { createWriteStream, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { execa, type ResultPromise } from 'execa'
import { type Collector, type CollectorOptions, DEFAULT_CADENCE_MS, type Sample, type Series, emptySeries } from './collector'

// Raw sysstat logs next to our own samples, so a reader can check our numbers against the
// tools everyone trusts: iostat -x, pidstat, mpstat at 1 s, killed on stop.
export interface SysstatOptions extends CollectorOptions<Sample> {
  telemetryDir: string
  /** Disk names for iostat (e.g. ['nvme0n1']); all disks when empty. */
  disks: string[]
  pids: number[]
}

const have = async (bin: string) => (await execa('which', [bin], { reject: false })).exitCode === 0

export const createSysstatCollector = (opts: SysstatOptions): Collector<Sample> & { files: string[] } => {
  const series: Series<Sample> = emptySeries('sysstat', opts.cadenceMs ?? DEFAULT_CADENCE_MS)
  const procs: ResultPromise[] = []
  const files: string[] = []
  let state: 'idle' | 'running' | 'stopped' = 'idle'
  const spawn = (bin: string, args: string[], file: string) => {
    const path = join(opts.telemetryDir, file)
    const out = createWriteStream(path, { flags: 'a' })
    const p = execa(bin, args, { buffer: false, reject: false, env: { S_TIME_FORMAT: 'ISO', LC_ALL: 'C' } })
    p.stdout?.pipe(out)
    p.stderr?.pipe(out)
    procs.push(p)
    files.push(path)
  }
  return {
    name: 'sysstat',
    files,
    available: async () => ((await have('iostat')) ? { available: true } : { available: false, reason: 'Expected sysstat (iostat) on PATH, got none' }),
    async start() {
      if (state !== 'idle') return
      state = 'running'
      mkdirSync(opts.telemetryDir, { recursive: true })
      if (await have('iostat')) spawn('iostat', ['-x', '-t', ...opts.disks, '1'], 'iostat.log')
      if ((await have('pidstat')) && opts.pids.length) spawn('pidstat', ['-d', '-u', '-r', '-h', '-p', opts.pids.join(','), '1'], 'pidstat.log')
      if (await have('mpstat')) spawn('mpstat', ['1'], 'mpstat.log')
      const s = { t_ms: opts.clock.nowMs(), wall_ms: opts.clock.wallMs() }
      series.samples.push(s)
      opts.onSample?.(s)
    },
    async stop() {
      if (state === 'running') {
        for (const p of procs) p.kill('SIGTERM')
        await Promise.all(procs.map((p) => p.catch(() => undefined)))
      }
      state = 'stopped'
      return series
    },
    snapshot: async () => ({ processes: procs.length }),
  }
}
