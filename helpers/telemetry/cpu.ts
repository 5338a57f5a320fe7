import { readFileSync } from 'node:fs'
import { type Collector, type CollectorOptions, type Sample } from './collector'
import { createPollingCollector } from './polling-collector'

// /proc/stat aggregate `cpu` line; shares are % of all CPU time in the interval (all cores = 100).
export interface CpuTimes {
  user: number; nice: number; system: number; idle: number; iowait: number; irq: number; softirq: number; steal: number
}
export interface CpuSample extends Sample {
  user_pct: number | null
  system_pct: number | null
  iowait_pct: number | null
  idle_pct: number | null
  irq_pct: number | null
  softirq_pct: number | null
  steal_pct: number | null
}
const FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const

export const parseProcStatCpu = (text: string): CpuTimes => {
  const line = text.split('\n').find((l) => l.startsWith('cpu '))
  if (!line) throw new Error('Expected a "cpu " line in /proc/stat, got none')
  const n = line.trim().split(/\s+/).slice(1).map(Number)
  return Object.fromEntries(FIELDS.map((f, i) => [f, n[i] ?? 0])) as unknown as CpuTimes
}

export const cpuSample = (a: CpuTimes, b: CpuTimes, base: Sample): CpuSample => {
  const d = Object.fromEntries(FIELDS.map((f) => [f, b[f] - a[f]])) as unknown as CpuTimes
  const total = FIELDS.reduce((s, f) => s + d[f], 0)
  const pct = (v: number) => (total > 0 ? (v / total) * 100 : null)
  return {
    ...base,
    user_pct: pct(d.user + d.nice),
    system_pct: pct(d.system),
    iowait_pct: pct(d.iowait),
    idle_pct: pct(d.idle),
    irq_pct: pct(d.irq),
    softirq_pct: pct(d.softirq),
    steal_pct: pct(d.steal),
  }
}

const TICKS_KEYS = FIELDS.map((f) => `${f}_ticks`)

export const createCpuCollector = (opts: CollectorOptions<CpuSample> & { statPath?: string }): Collector<CpuSample> =>
  createPollingCollector<CpuTimes, CpuSample>(
    {
      name: 'cpu',
      snapshotKeys: TICKS_KEYS,
      available: async () => {
        try {
          parseProcStatCpu(readFileSync(opts.statPath ?? '/proc/stat', 'utf8'))
          return { available: true }
        } catch (e) {
          return { available: false, reason: (e as Error).message }
        }
      },
      read: async () => parseProcStatCpu(readFileSync(opts.statPath ?? '/proc/stat', 'utf8')),
      toSample: (prev, cur, _s, base) => (prev ? cpuSample(prev, cur, base) : null),
      toSnapshot: (c) => Object.fromEntries(FIELDS.map((f) => [`${f}_ticks`, c[f]])),
    },
    opts,
  )
