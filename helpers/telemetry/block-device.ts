import { type Collector, type CollectorOptions, type Sample } from './collector'
import { resolveBlockDevice } from './block-device-resolve'
import { type DiskCounters, readDiskstats, sumDiskCounters } from './diskstats'
import { createPollingCollector } from './polling-collector'

// iostat -x semantics from /proc/diskstats deltas for the disk(s) holding a directory.
export interface BlockDeviceSample extends Sample {
  device: string
  r_s: number | null
  w_s: number | null
  /** MB = 2^20 bytes, as `iostat -m`. */
  rMB_s: number | null
  wMB_s: number | null
  /** Read ticks / reads completed in the interval (includes queue time); null with no reads. */
  r_await_ms: number | null
  w_await_ms: number | null
  /** Weighted ticks / interval: average queue depth. */
  aqu_sz: number | null
  /** IO ticks / interval × 100; not saturation on NVMe (parallel queues). */
  util_pct: number | null
}

export const BLOCK_DEVICE_SNAPSHOT_KEYS = [
  'read_ios', 'write_ios', 'read_bytes', 'write_bytes',
  'read_ticks_ms', 'write_ticks_ms', 'io_ticks_ms', 'weighted_ticks_ms',
]

export const blockDeviceSample = (a: DiskCounters, b: DiskCounters, seconds: number, base: Sample, device: string): BlockDeviceSample => {
  const ms = seconds * 1000
  const dr = b.read_ios - a.read_ios
  const dw = b.write_ios - a.write_ios
  const ok = seconds > 0
  return {
    ...base,
    device,
    r_s: ok ? dr / seconds : null,
    w_s: ok ? dw / seconds : null,
    rMB_s: ok ? ((b.read_sectors - a.read_sectors) * 512) / 1048576 / seconds : null,
    wMB_s: ok ? ((b.write_sectors - a.write_sectors) * 512) / 1048576 / seconds : null,
    r_await_ms: dr > 0 ? (b.read_ticks_ms - a.read_ticks_ms) / dr : null,
    w_await_ms: dw > 0 ? (b.write_ticks_ms - a.write_ticks_ms) / dw : null,
    aqu_sz: ok ? (b.weighted_ticks_ms - a.weighted_ticks_ms) / ms : null,
    util_pct: ok ? Math.min(100, ((b.io_ticks_ms - a.io_ticks_ms) / ms) * 100) : null,
  }
}

export const blockDeviceSnapshot = (c: DiskCounters): Record<string, number | null> => ({
  read_ios: c.read_ios,
  write_ios: c.write_ios,
  read_bytes: c.read_sectors * 512,
  write_bytes: c.write_sectors * 512,
  read_ticks_ms: c.read_ticks_ms,
  write_ticks_ms: c.write_ticks_ms,
  io_ticks_ms: c.io_ticks_ms,
  weighted_ticks_ms: c.weighted_ticks_ms,
})

export interface BlockDeviceOptions extends CollectorOptions<BlockDeviceSample> {
  /** Directory whose device is measured (the KV cache dir, else the results dir). */
  dir: string
  diskstatsPath?: string
}

export const createBlockDeviceCollector = (opts: BlockDeviceOptions): Collector<BlockDeviceSample> => {
  let disks: string[] | null = null
  let reason: string | undefined
  const resolve = () => {
    if (disks || reason) return
    try {
      disks = resolveBlockDevice(opts.dir).disks
    } catch (e) {
      reason = (e as Error).message
    }
  }
  const read = async (): Promise<DiskCounters> => {
    const all = readDiskstats(opts.diskstatsPath)
    const list = (disks ?? []).map((d) => {
      const c = all.get(d)
      if (!c) throw new Error(`Expected ${d} in /proc/diskstats, got no line`)
      return c
    })
    return sumDiskCounters(list)
  }
  return createPollingCollector<DiskCounters, BlockDeviceSample>(
    {
      name: 'block_device',
      snapshotKeys: BLOCK_DEVICE_SNAPSHOT_KEYS,
      available: async () => {
        resolve()
        return disks ? { available: true } : { available: false, reason }
      },
      read,
      toSample: (prev, cur, s, base) => (prev ? blockDeviceSample(prev, cur, s, base, (disks ?? []).join('+')) : null),
      toSnapshot: blockDeviceSnapshot,
    },
    opts,
  )
}

/** The disks a directory resolves to, or null with the reason (used by nvme-health and reports). */
export const blockDeviceFor = (dir: string): { disks: string[] | null; reason: string | null } => {
  try {
    return { disks: resolveBlockDevice(dir).disks, reason: null }
  } catch (e) {
    return { disks: null, reason: (e as Error).message }
  }
}
