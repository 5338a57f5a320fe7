import { existsSync, readFileSync } from 'node:fs'
import { type Collector, type CollectorOptions, type Sample } from './collector'
import { createPollingCollector } from './polling-collector'
import { createDescendantsCache, listProcesses } from './process-tree'

// Per-process IO of the target's pids and their children from /proc/<pid>/io, plus cgroup v2
// io.stat of their cgroup (containers, where /proc/<pid>/io may read zero). `read_bytes` counts
// storage reads (O_DIRECT included); `rchar` also counts page-cache hits.
export const PROC_IO_FIELDS = ['read_bytes', 'write_bytes', 'rchar', 'wchar', 'syscr', 'syscw'] as const
export const CGROUP_IO_FIELDS = ['rbytes', 'wbytes', 'rios', 'wios'] as const
type ProcIo = Record<(typeof PROC_IO_FIELDS)[number], number>
type CgroupIo = Record<(typeof CGROUP_IO_FIELDS)[number], number>

export const parseProcIo = (text: string): ProcIo => {
  const m: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const [k, v] = line.split(':')
    if (v !== undefined) m[k.trim()] = Number(v)
  }
  return Object.fromEntries(PROC_IO_FIELDS.map((f) => [f, m[f] ?? 0])) as ProcIo
}

/** Sums io.stat over devices (optionally only the given MAJ:MIN). */
export const parseCgroupIoStat = (text: string, devices?: string[]): CgroupIo => {
  const z: CgroupIo = { rbytes: 0, wbytes: 0, rios: 0, wios: 0 }
  for (const line of text.split('\n')) {
    const [dev, ...kv] = line.trim().split(/\s+/)
    if (!dev || (devices && !devices.includes(dev))) continue
    for (const p of kv) {
      const [k, v] = p.split('=')
      if (k in z) z[k as keyof CgroupIo] += Number(v)
    }
  }
  return z
}

/** The cgroup v2 io.stat path of a pid, or null (cgroup v1 host, no io controller). */
export const cgroupIoStatPath = (pid: number, cgroupRoot = '/sys/fs/cgroup'): string | null => {
  try {
    const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))
    if (!line) return null
    const p = `${cgroupRoot}${line.slice(3).trim()}/io.stat`.replace(/\/+/g, '/')
    return existsSync(p) ? p : null
  } catch {
    return null
  }
}

export interface ProcessIoReading {
  pids: number[]
  /** Cumulative per process (keyed pid:starttime), including processes that exited since. */
  totals: ProcIo
  cgroup: CgroupIo | null
}

export interface ProcessIoSample extends Sample {
  pids: number
  read_bytes_s: number | null
  write_bytes_s: number | null
  rchar_s: number | null
  wchar_s: number | null
  syscr_s: number | null
  syscw_s: number | null
  cgroup_rbytes_s: number | null
  cgroup_wbytes_s: number | null
}

export const PROCESS_IO_SNAPSHOT_KEYS = [...PROC_IO_FIELDS, ...CGROUP_IO_FIELDS.map((f) => `cgroup_${f}`)]

export interface ProcessIoOptions extends CollectorOptions<ProcessIoSample> {
  /** Root pids; a function so pids of a restarted worker are picked up. */
  pids: number[] | (() => number[])
  /** Include descendants of the pids. @default true */
  children?: boolean
  /** How long one /proc walk for descendants is reused. @default 1000 */
  treeTtlMs?: number
}

export const createProcessIoCollector = (opts: ProcessIoOptions): Collector<ProcessIoSample> => {
  const roots = () => (typeof opts.pids === 'function' ? opts.pids() : opts.pids)
  // Last value seen per process. A child that exits is folded into its parent's counters when
  // the parent reaps it (wait_task_zombie adds the child's ioac), so it is dropped then; one
  // whose parent is not tracked keeps its last value, so the cumulative sum never loses bytes.
  const last = new Map<string, { ppid: number; pid: number; io: ProcIo }>()
  const tree = createDescendantsCache(opts.treeTtlMs ?? 1000)
  const read = async (): Promise<ProcessIoReading> => {
    const r = roots()
    const procs = opts.children === false ? listProcesses().filter((p) => r.includes(p.pid)) : tree(r)
    const alive = new Set<string>()
    const alivePids = new Set(procs.map((p) => p.pid))
    for (const p of procs) {
      const key = `${p.pid}:${p.starttime}`
      try {
        last.set(key, { ppid: p.ppid, pid: p.pid, io: parseProcIo(readFileSync(`/proc/${p.pid}/io`, 'utf8')) })
        alive.add(key)
      } catch {
        // exited between listing and reading, or not ours to read: keep its last value
        if (last.has(key)) alive.add(key)
      }
    }
    for (const [key, v] of last) if (!alive.has(key) && alivePids.has(v.ppid)) last.delete(key)
    const totals = Object.fromEntries(PROC_IO_FIELDS.map((f) => [f, 0])) as ProcIo
    for (const v of last.values()) for (const f of PROC_IO_FIELDS) totals[f] += v.io[f]
    const cgPath = r.length ? cgroupIoStatPath(r[0]) : null
    let cgroup: CgroupIo | null = null
    if (cgPath) {
      try {
        cgroup = parseCgroupIoStat(readFileSync(cgPath, 'utf8'))
      } catch {
        cgroup = null
      }
    }
    return { pids: procs.map((p) => p.pid), totals, cgroup }
  }
  const rt = (a: number | undefined, b: number | undefined, s: number) => (a == null || b == null || !(s > 0) ? null : (b - a) / s)
  return createPollingCollector<ProcessIoReading, ProcessIoSample>(
    {
      name: 'process_io',
      snapshotKeys: PROCESS_IO_SNAPSHOT_KEYS,
      available: async () => {
        const r = roots()
        if (r.length === 0) return { available: false, reason: 'Expected target pids, got none (attach-only target?)' }
        const readable = r.some((p) => {
          try {
            readFileSync(`/proc/${p}/io`, 'utf8')
            return true
          } catch {
            return false
          }
        })
        return readable ? { available: true } : { available: false, reason: `Expected /proc/<pid>/io readable for pids ${r.join(',')}, got none readable (other user or container)` }
      },
      read,
      toSample: (prev, cur, s, base) =>
        prev
          ? {
              ...base,
              pids: cur.pids.length,
              read_bytes_s: rt(prev.totals.read_bytes, cur.totals.read_bytes, s),
              write_bytes_s: rt(prev.totals.write_bytes, cur.totals.write_bytes, s),
              rchar_s: rt(prev.totals.rchar, cur.totals.rchar, s),
              wchar_s: rt(prev.totals.wchar, cur.totals.wchar, s),
              syscr_s: rt(prev.totals.syscr, cur.totals.syscr, s),
              syscw_s: rt(prev.totals.syscw, cur.totals.syscw, s),
              cgroup_rbytes_s: rt(prev.cgroup?.rbytes, cur.cgroup?.rbytes, s),
              cgroup_wbytes_s: rt(prev.cgroup?.wbytes, cur.cgroup?.wbytes, s),
            }
          : null,
      toSnapshot: (c) => ({
        ...c.totals,
        ...Object.fromEntries(CGROUP_IO_FIELDS.map((f) => [`cgroup_${f}`, c.cgroup ? c.cgroup[f] : null])),
      }),
    },
    opts,
  )
}
