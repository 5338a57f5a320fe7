import { existsSync, readFileSync, statfsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { TierPlan } from './tier-plan'

// A tier plan the machine cannot hold is refused before any worker starts: a 256 GiB host tier on a
// 128 GB machine, or a disk tier larger than the cache filesystem's free space, would only fail
// later as an out-of-memory kill or ENOSPC that looks like a platform problem.

export interface MachineCapacity {
  memTotalBytes: number | null
  /** Free bytes (for unprivileged users) on the filesystem that holds the disk tier. */
  diskFreeBytes: number | null
}

/** MemTotal from /proc/meminfo text, in bytes. */
export const parseMemTotal = (meminfo: string): number | null => {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo)
  return m ? Number(m[1]) * 1024 : null
}

export const readMachineCapacity = (diskDir: string): MachineCapacity => {
  let memTotalBytes: number | null = null
  let diskFreeBytes: number | null = null
  try {
    memTotalBytes = parseMemTotal(readFileSync('/proc/meminfo', 'utf8'))
  } catch {
    // Not Linux: memory cannot be checked; the plan is not refused on a guess.
  }
  try {
    // The cache dir may not exist yet: its nearest existing ancestor is the filesystem it will live on.
    let dir = resolve(diskDir)
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir)
    const s = statfsSync(dir)
    diskFreeBytes = Number(s.bavail) * Number(s.bsize)
  } catch {
    // The directory does not exist yet: nothing to check against.
  }
  return { memTotalBytes, diskFreeBytes }
}

export type TierPlanRefusal = { code: 'TIER_PLAN_EXCEEDS_MACHINE'; message: string }

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`

/**
 * Refuses a plan whose host tier does not fit in 90 % of memory, or whose disk footprint (the plan's
 * disk bytes divided by the driver's IO scale: kvsim writes scaled-down blocks) exceeds the free space.
 */
export const checkTierPlanFitsMachine = (
  plan: TierPlan,
  machine: MachineCapacity,
  o: { diskBytesDivisor?: number; diskDir?: string; diskHint?: string } = {},
): TierPlanRefusal | null => {
  if (machine.memTotalBytes !== null && plan.host_tier_bytes > 0.9 * machine.memTotalBytes)
    return {
      code: 'TIER_PLAN_EXCEEDS_MACHINE',
      message: `Expected host_tier_bytes <= 90 % of MemTotal (${gib(0.9 * machine.memTotalBytes)}), got ${gib(plan.host_tier_bytes)}: shrink the host tier of the tier plan`,
    }
  const footprint = plan.disk_tier_bytes / (o.diskBytesDivisor ?? 1)
  if (machine.diskFreeBytes !== null && footprint > machine.diskFreeBytes)
    return {
      code: 'TIER_PLAN_EXCEEDS_MACHINE',
      message: `Expected the disk tier (${gib(footprint)} on disk) to fit the free space of ${o.diskDir ?? 'the cache filesystem'} (${gib(machine.diskFreeBytes)}), got too little room: shrink disk_tier_bytes or free space${o.diskHint ? `; ${o.diskHint}` : ''}`,
    }
  return null
}
