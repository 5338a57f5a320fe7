import { constants, lstatSync, readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { type Collector, type CollectorOptions, type Sample } from './collector'
import { createPollingCollector } from './polling-collector'
import { createDescendantsCache } from './process-tree'

// The KV disk cache directory: size and file count, and the files the target holds open under
// it. KVBM and kvsim unlink their file right after creating it, so `ls` shows nothing and the
// open descriptor (`… (deleted)` in /proc/<pid>/fd) is the only evidence the tier exists.
export interface OpenCacheFile {
  pid: number
  fd: number
  path: string
  size_bytes: number | null
  deleted: boolean
  /** Opened with O_DIRECT, from /proc/<pid>/fdinfo/<fd> flags (platform's O_DIRECT bit); null when unreadable. */
  o_direct?: boolean | null
}

/** Whether fd `fd` of `pid` was opened with O_DIRECT (octal `flags:` of fdinfo); null when unreadable. */
export const fdHasODirect = (pid: number, fd: number): boolean | null => {
  try {
    const m = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))
    return m && constants.O_DIRECT ? (Number.parseInt(m[1]!, 8) & constants.O_DIRECT) !== 0 : null
  } catch {
    return null
  }
}

export interface CacheDirReading {
  size_bytes: number
  file_count: number
  open_files: OpenCacheFile[]
}

export interface CacheDirSample extends Sample {
  size_bytes: number
  file_count: number
  open_file_count: number
  open_bytes: number
}

export const dirUsage = (dir: string): { size_bytes: number; file_count: number } => {
  let size = 0
  let count = 0
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      try {
        if (e.isDirectory()) walk(p)
        else if (e.isFile()) {
          // Allocated bytes: a sparse/fallocated cache file's apparent size would overstate it.
          const st = lstatSync(p)
          size += st.blocks * 512
          count++
        }
      } catch {
        // vanished mid-walk
      }
    }
  }
  walk(dir)
  return { size_bytes: size, file_count: count }
}

export const openFilesUnder = (dir: string, pids: number[]): OpenCacheFile[] => {
  const root = realpathSync(dir)
  const out: OpenCacheFile[] = []
  for (const pid of pids) {
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      let target: string
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`)
      } catch {
        continue
      }
      const deleted = target.endsWith(' (deleted)')
      const path = deleted ? target.slice(0, -' (deleted)'.length) : target
      if (path !== root && !path.startsWith(`${root}/`)) continue
      // stat through the magic link reaches the open inode even after unlink (= fstat of fd N).
      const st = statSync(`/proc/${pid}/fd/${fd}`, { throwIfNoEntry: false })
      if (st && !st.isFile()) continue
      const size = st ? st.size : null
      out.push({ pid, fd: Number(fd), path, size_bytes: size, deleted, o_direct: fdHasODirect(pid, Number(fd)) })
    }
  }
  return out
}

export interface CacheDirOptions extends CollectorOptions<CacheDirSample> {
  dir: string | null
  pids: number[] | (() => number[])
  /** Callback with the full open-file list of every reading (the timeline keeps the last per phase). */
  onOpenFiles?: (files: OpenCacheFile[]) => void
}

export const createCacheDirCollector = (opts: CacheDirOptions): Collector<CacheDirSample> & { read(): Promise<CacheDirReading | null> } => {
  const tree = createDescendantsCache(1000)
  const pids = () => tree(typeof opts.pids === 'function' ? opts.pids() : opts.pids).map((p) => p.pid)
  const read = async (): Promise<CacheDirReading> => {
    if (!opts.dir) throw new Error('Expected a KV cache dir, got none')
    const r = { ...dirUsage(opts.dir), open_files: openFilesUnder(opts.dir, pids()) }
    opts.onOpenFiles?.(r.open_files)
    return r
  }
  const inner = createPollingCollector<CacheDirReading, CacheDirSample>(
    {
      name: 'cache_dir',
      snapshotKeys: ['size_bytes', 'file_count', 'open_file_count', 'open_bytes'],
      available: async () => {
        if (!opts.dir) return { available: false, reason: 'Expected a KV cache dir, got none (the mode has no disk tier)' }
        try {
          return statSync(opts.dir).isDirectory() ? { available: true } : { available: false, reason: `Expected ${opts.dir} to be a directory, got another file type` }
        } catch (e) {
          return { available: false, reason: `Expected ${opts.dir} to exist, got ${(e as Error).message}` }
        }
      },
      read,
      toSample: (_p, c, _s, base) => ({
        ...base,
        size_bytes: c.size_bytes,
        file_count: c.file_count,
        open_file_count: c.open_files.length,
        open_bytes: c.open_files.reduce((a, f) => a + (f.size_bytes ?? 0), 0),
      }),
      toSnapshot: (c) => ({
        size_bytes: c.size_bytes,
        file_count: c.file_count,
        open_file_count: c.open_files.length,
        open_bytes: c.open_files.reduce((a, f) => a + (f.size_bytes ?? 0), 0),
      }),
    },
    opts,
  )
  return { ...inner, read: async () => (opts.dir ? read().catch(() => null) : null) }
}
