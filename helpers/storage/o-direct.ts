import { closeSync, constants, fsyncSync, mkdtempSync, openSync, rmSync, writeSync, readSync } from 'node:fs'
import { join } from 'node:path'

// O_DIRECT from Node: the kernel wants the buffer address, length and file offset aligned to the
// device's logical block size. Node cannot place a buffer at an address, so we over-allocate
// and probe which 512-byte-step offset inside the allocation the kernel accepts.
export const DIRECT_ALIGN = 4096

export interface ODirectProbe {
  supported: boolean
  reason: string | null
}

const tryWrite = (fd: number, buf: Buffer, position: number): boolean => {
  try {
    writeSync(fd, buf, 0, buf.length, position)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EINVAL') return false
    throw e
  }
}

/**
 * A buffer of `size` bytes (a multiple of 4096) that O_DIRECT IO accepts on `fd`'s device.
 * Probes with a write at `probePosition` (the data written is the buffer's zero fill).
 */
export const alignedBufferFor = (fd: number, size: number, probePosition = 0): Buffer => {
  if (size % DIRECT_ALIGN !== 0) throw new Error(`Expected an O_DIRECT size that is a multiple of ${DIRECT_ALIGN}, got ${size}`)
  const raw = Buffer.alloc(size + DIRECT_ALIGN)
  for (let off = 0; off < DIRECT_ALIGN; off += 16) {
    const b = raw.subarray(off, off + size)
    if (tryWrite(fd, b, probePosition)) return b
  }
  throw new Error(`Expected an O_DIRECT-aligned offset within ${DIRECT_ALIGN} bytes, got EINVAL at every one`)
}

export const openDirect = (path: string, flags: 'w' | 'r'): number =>
  openSync(path, (flags === 'w' ? constants.O_WRONLY | constants.O_CREAT : constants.O_RDONLY) | constants.O_DIRECT, 0o600)

/** Writes `bytes` (rounded up to 4096) of a repeating pattern with O_DIRECT, then fsyncs. */
export const writeDirect = (path: string, bytes: number, chunk = 1 << 20): number => {
  const total = Math.ceil(bytes / DIRECT_ALIGN) * DIRECT_ALIGN
  const fd = openDirect(path, 'w')
  try {
    const size = Math.min(chunk, total)
    const buf = alignedBufferFor(fd, size)
    buf.fill(0xa5)
    let written = 0
    while (written < total) {
      const n = Math.min(size, total - written)
      written += writeSync(fd, buf, 0, n, written)
    }
    fsyncSync(fd)
    return written
  } finally {
    closeSync(fd)
  }
}

/** Reads a whole file with O_DIRECT; returns bytes read. */
export const readDirect = (path: string, chunk = 1 << 20): number => {
  const fd = openDirect(path, 'r')
  // Probe by reading (the file may be read-only to us): EINVAL marks a misaligned address.
  try {
    const raw = Buffer.alloc(chunk + DIRECT_ALIGN)
    let buf: Buffer | null = null
    for (let off = 0; off < DIRECT_ALIGN && !buf; off += 16) {
      const b = raw.subarray(off, off + chunk)
      try {
        readSync(fd, b, 0, chunk, 0)
        buf = b
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e
      }
    }
    if (!buf) throw new Error(`Expected an O_DIRECT-aligned read buffer for ${path}, got EINVAL at every offset`)
    let total = 0
    for (;;) {
      const n = readSync(fd, buf, 0, chunk, total)
      total += n
      if (n < chunk) return total
    }
  } finally {
    closeSync(fd)
  }
}

/** Whether `dir`'s filesystem accepts O_DIRECT (tmpfs does not); leaves nothing behind. */
export const probeODirect = (dir: string): ODirectProbe => {
  let tmp: string | null = null
  try {
    tmp = mkdtempSync(join(dir, '.odirect-probe-'))
    const fd = openDirect(join(tmp, 'probe'), 'w')
    try {
      alignedBufferFor(fd, DIRECT_ALIGN)
    } finally {
      closeSync(fd)
    }
    return { supported: true, reason: null }
  } catch (e) {
    return { supported: false, reason: `Expected O_DIRECT IO to work in ${dir}, got ${(e as Error).message}` }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  }
}
