import { readFileSync } from 'node:fs'
import { type Collector, type CollectorOptions, type Sample } from './collector'
import { createPollingCollector } from './polling-collector'

// /proc/meminfo levels (bytes) and /proc/vmstat paging counters (rates per second in samples,
// cumulative in snapshots).
export interface MemoryReading {
  mem_available_bytes: number | null
  cached_bytes: number | null
  dirty_bytes: number | null
  writeback_bytes: number | null
  swap_used_bytes: number | null
  pgmajfault: number | null
  pgpgin: number | null
  pgpgout: number | null
}
export interface MemorySample extends Sample {
  mem_available_bytes: number | null
  cached_bytes: number | null
  dirty_bytes: number | null
  writeback_bytes: number | null
  swap_used_bytes: number | null
  pgmajfault_s: number | null
  /** KiB paged in/out per second (vmstat pgpgin/pgpgout are in KiB). */
  pgpgin_kib_s: number | null
  pgpgout_kib_s: number | null
}

export const parseMeminfo = (text: string): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const m = /^(\S+):\s+(\d+)(?:\s+kB)?/.exec(line)
    if (m) out[m[1]] = Number(m[2]) * (line.includes(' kB') ? 1024 : 1)
  }
  return out
}

export const parseVmstat = (text: string): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const [k, v] = line.split(' ')
    if (k && v !== undefined) out[k] = Number(v)
  }
  return out
}

// Only the fields we use, found by indexOf: splitting all ~180 vmstat lines at 5 Hz was the
// memory collector's main cost.
export const pickField = (text: string, key: string, sep: string): number | null => {
  const at = text.startsWith(key + sep) ? 0 : text.indexOf(`\n${key}${sep}`) + 1
  if (at <= 0 && !text.startsWith(key + sep)) return null
  const m = /^\s*(\d+)(\s*kB)?/.exec(text.slice(at + key.length + sep.length, at + key.length + sep.length + 40))
  return m ? Number(m[1]) * (m[2] ? 1024 : 1) : null
}

export const memoryReading = (meminfo: string, vmstat: string): MemoryReading => {
  const mi = (k: string) => pickField(meminfo, k, ':')
  const vm = (k: string) => pickField(vmstat, k, ' ')
  const swapTotal = mi('SwapTotal')
  const swapFree = mi('SwapFree')
  return {
    mem_available_bytes: mi('MemAvailable'),
    cached_bytes: mi('Cached'),
    dirty_bytes: mi('Dirty'),
    writeback_bytes: mi('Writeback'),
    swap_used_bytes: swapTotal != null && swapFree != null ? swapTotal - swapFree : null,
    pgmajfault: vm('pgmajfault'),
    pgpgin: vm('pgpgin'),
    pgpgout: vm('pgpgout'),
  }
}

const r = (a: number | null, b: number | null, s: number) => (a == null || b == null || !(s > 0) ? null : (b - a) / s)

export const createMemoryCollector = (
  opts: CollectorOptions<MemorySample> & { meminfoPath?: string; vmstatPath?: string },
): Collector<MemorySample> => {
  const read = async () =>
    memoryReading(readFileSync(opts.meminfoPath ?? '/proc/meminfo', 'utf8'), readFileSync(opts.vmstatPath ?? '/proc/vmstat', 'utf8'))
  return createPollingCollector<MemoryReading, MemorySample>(
    {
      name: 'memory',
      snapshotKeys: ['mem_available_bytes', 'cached_bytes', 'dirty_bytes', 'writeback_bytes', 'swap_used_bytes', 'pgmajfault', 'pgpgin', 'pgpgout'],
      available: async () => {
        try {
          await read()
          return { available: true }
        } catch (e) {
          return { available: false, reason: (e as Error).message }
        }
      },
      read,
      toSample: (prev, cur, s, base) =>
        prev
          ? {
              ...base,
              mem_available_bytes: cur.mem_available_bytes,
              cached_bytes: cur.cached_bytes,
              dirty_bytes: cur.dirty_bytes,
              writeback_bytes: cur.writeback_bytes,
              swap_used_bytes: cur.swap_used_bytes,
              pgmajfault_s: r(prev.pgmajfault, cur.pgmajfault, s),
              pgpgin_kib_s: r(prev.pgpgin, cur.pgpgin, s),
              pgpgout_kib_s: r(prev.pgpgout, cur.pgpgout, s),
            }
          : null,
      toSnapshot: (c) => ({ ...c }),
    },
    opts,
  )
}
