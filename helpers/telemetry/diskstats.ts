import { readFileSync } from 'node:fs'

// /proc/diskstats fields (Documentation/admin-guide/iostats.rst). Sectors are always 512 bytes
// here, whatever the device's logical block size.
export interface DiskCounters {
  read_ios: number
  read_merges: number
  read_sectors: number
  read_ticks_ms: number
  write_ios: number
  write_merges: number
  write_sectors: number
  write_ticks_ms: number
  in_flight: number
  io_ticks_ms: number
  weighted_ticks_ms: number
}

export const parseDiskstats = (text: string): Map<string, DiskCounters> => {
  const out = new Map<string, DiskCounters>()
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length < 14) continue
    const n = f.slice(3, 14).map(Number)
    out.set(f[2], {
      read_ios: n[0], read_merges: n[1], read_sectors: n[2], read_ticks_ms: n[3],
      write_ios: n[4], write_merges: n[5], write_sectors: n[6], write_ticks_ms: n[7],
      in_flight: n[8], io_ticks_ms: n[9], weighted_ticks_ms: n[10],
    })
  }
  return out
}

export const readDiskstats = (path = '/proc/diskstats'): Map<string, DiskCounters> =>
  parseDiskstats(readFileSync(path, 'utf8'))

/** Sums several disks (a dm device over two NVMe drives is one logical target). */
export const sumDiskCounters = (list: DiskCounters[]): DiskCounters => {
  const z: DiskCounters = {
    read_ios: 0, read_merges: 0, read_sectors: 0, read_ticks_ms: 0, write_ios: 0, write_merges: 0,
    write_sectors: 0, write_ticks_ms: 0, in_flight: 0, io_ticks_ms: 0, weighted_ticks_ms: 0,
  }
  for (const c of list) for (const k of Object.keys(z) as (keyof DiskCounters)[]) z[k] += c[k]
  return z
}
