import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

// Which physical disk(s) hold a directory: st_dev → /sys/dev/block/MAJ:MIN, then up through
// partitions (a `partition` file means the parent dir is the disk) and down through
// device-mapper/md (`slaves/`) to the devices that really do the IO.
export interface ResolvedDevice {
  /** The directory's own device (may be a partition or dm-N). */
  source: string
  majMin: string
  /** Whole physical disks, e.g. ['vda'] or ['nvme0n1']. */
  disks: string[]
}

export const splitDev = (dev: number | bigint): { major: number; minor: number } => {
  const d = BigInt(dev)
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn))
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn))
  return { major, minor }
}

const wholeDisk = (sysPath: string): string[] => {
  const slavesDir = join(sysPath, 'slaves')
  const slaves = existsSync(slavesDir) ? readdirSync(slavesDir) : []
  if (slaves.length > 0) return slaves.flatMap((s) => wholeDisk(realpathSync(join(slavesDir, s))))
  if (existsSync(join(sysPath, 'partition'))) return wholeDisk(dirname(sysPath))
  return [basename(sysPath)]
}

/** Resolves the physical disk(s) behind `dir`; throws `Expected …` when there is none (tmpfs, overlay). */
export const resolveBlockDevice = (dir: string, sysRoot = '/sys'): ResolvedDevice => {
  // A cache dir the worker has not created yet lives on its nearest existing ancestor's device.
  let probe = dir
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe)
  const { major, minor } = splitDev(statSync(probe, { bigint: true }).dev)
  const majMin = `${major}:${minor}`
  const link = join(sysRoot, 'dev', 'block', majMin)
  if (!existsSync(link))
    throw new Error(`Expected a block device behind ${dir}, got st_dev ${majMin} with no ${link} (tmpfs, overlay or network fs)`)
  const sysPath = realpathSync(link)
  return { source: basename(sysPath), majMin, disks: [...new Set(wholeDisk(sysPath))] }
}

export const readSysText = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return null
  }
}
