import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { constants as fsc } from 'node:fs'
import { type FileHandle, open, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { allocAlignedForDirectIo, roundUpToAlign } from './aligned-buffer'

// G3 as KVBM builds it: one preallocated file in the cache dir, unlinked right after creation (so
// `ls` shows nothing and /proc/<pid>/fd shows it `(deleted)`), with positional O_DIRECT IO per block.

const MAGIC = 'KVSIMBLK'
const HEADER_BYTES = 64
const POOL_BUFFERS = 8

export interface G3FileOptions {
  dir: string
  blocks: number
  /** Bytes per block; rounded up to 4096. */
  blockBytes: number
  disableODirect: boolean
}

export interface G3File {
  readonly path: string
  readonly oDirect: boolean
  readonly fallbackReason: string | null
  readonly blockBytes: number
  readonly blocks: number
  /** Writes a block carrying `content` (its content hash) at `slot`. */
  write(slot: number, content: string): Promise<void>
  /** Reads `slot` back and returns the content hash its bytes carry; `corrupt` flips bytes after the read. */
  read(slot: number, corrupt: boolean): Promise<string>
  readonly bytesWritten: number
  readonly bytesRead: number
  close(): Promise<void>
}

const randomSuffix = (): string => {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  return [...randomBytes(6)].map((b) => abc[b % abc.length]).join('')
}

/** Pool of aligned buffers, so concurrent IOs never share memory and allocation happens once. */
class BufferPool {
  private readonly free: Buffer[]
  private readonly waiters: ((b: Buffer) => void)[] = []
  constructor(buffers: Buffer[]) {
    this.free = buffers
  }
  acquire(): Promise<Buffer> {
    const b = this.free.pop()
    return b ? Promise.resolve(b) : new Promise((resolve) => this.waiters.push(resolve))
  }
  release(b: Buffer): void {
    const w = this.waiters.shift()
    if (w) w(b)
    else this.free.push(b)
  }
}

export const openG3File = async (opts: G3FileOptions): Promise<G3File> => {
  const blockBytes = roundUpToAlign(opts.blockBytes)
  const size = blockBytes * opts.blocks
  const path = join(opts.dir, `kvsim-disk-cache-${randomSuffix()}`)
  const baseFlags = fsc.O_RDWR | fsc.O_CREAT | fsc.O_EXCL
  let fh: FileHandle
  let oDirect = !opts.disableODirect
  let fallbackReason: string | null = opts.disableODirect ? 'DYN_KVBM_DISK_DISABLE_O_DIRECT is set' : null
  try {
    fh = await open(path, baseFlags | (oDirect ? fsc.O_DIRECT : 0), 0o600)
  } catch (err) {
    if (!oDirect || (err as NodeJS.ErrnoException).code !== 'EINVAL') throw err
    oDirect = false
    fallbackReason = 'open with O_DIRECT failed with EINVAL'
    fh = await open(path, baseFlags, 0o600)
  }
  try {
    // Real preallocation (fallocate(2) through util-linux; Node has no binding); sparse size otherwise.
    try {
      await promisify(execFile)('fallocate', ['-l', String(size), path])
    } catch {
      await fh.truncate(size)
    }
    await unlink(path)
  } catch (err) {
    await fh.close()
    await unlink(path).catch(() => undefined)
    throw err
  }

  let buffers: Buffer[] = []
  if (oDirect) {
    const first = await allocAlignedForDirectIo(fh, blockBytes, 'write')
    if (first) {
      buffers.push(first)
      for (let i = 1; i < POOL_BUFFERS; i++) buffers.push((await allocAlignedForDirectIo(fh, blockBytes, 'write'))!)
    } else {
      // The filesystem accepted the flag but refuses every alignment: reopen buffered as KVBM advises.
      oDirect = false
      fallbackReason = 'O_DIRECT write failed with EINVAL at every buffer alignment'
      const fd = `/proc/self/fd/${fh.fd}`
      const buffered = await open(fd, fsc.O_RDWR)
      await fh.close()
      fh = buffered
    }
  }
  if (!oDirect) buffers = Array.from({ length: POOL_BUFFERS }, () => Buffer.alloc(blockBytes))
  const pool = new BufferPool(buffers)
  // A read of a slot waits for that slot's in-flight write, as a real transfer engine orders them.
  const pendingWrites = new Map<number, Promise<void>>()
  let bytesWritten = 0
  let bytesRead = 0
  let closed = false
  const handle = fh

  const checkSlot = (slot: number) => {
    if (!Number.isInteger(slot) || slot < 0 || slot >= opts.blocks)
      throw new Error(`Expected G3 slot in [0, ${opts.blocks}) got ${slot}`)
    if (closed) throw new Error('Expected an open G3 file got a closed one')
  }

  const write = async (slot: number, content: string): Promise<void> => {
    checkSlot(slot)
    const prev = pendingWrites.get(slot)
    const run = (async () => {
      if (prev) await prev.catch(() => undefined)
      const buf = await pool.acquire()
      try {
        const header = `${MAGIC}${content}`.padEnd(HEADER_BYTES, ' ')
        buf.write(header, 0, 'latin1')
        // The whole block carries its content, so a torn or misplaced read shows up as a different hash.
        buf.fill(content, HEADER_BYTES, blockBytes, 'latin1')
        const { bytesWritten: n } = await handle.write(buf, 0, blockBytes, slot * blockBytes)
        if (n !== blockBytes) throw new Error(`Expected to write ${blockBytes} bytes to G3 slot ${slot} got ${n}`)
        bytesWritten += n
      } finally {
        pool.release(buf)
      }
    })()
    pendingWrites.set(slot, run)
    try {
      await run
    } finally {
      if (pendingWrites.get(slot) === run) pendingWrites.delete(slot)
    }
  }

  const read = async (slot: number, corrupt: boolean): Promise<string> => {
    checkSlot(slot)
    const prev = pendingWrites.get(slot)
    if (prev) await prev.catch(() => undefined)
    const buf = await pool.acquire()
    try {
      const { bytesRead: n } = await handle.read(buf, 0, blockBytes, slot * blockBytes)
      if (n !== blockBytes) throw new Error(`Expected to read ${blockBytes} bytes from G3 slot ${slot} got ${n}`)
      bytesRead += n
      if (corrupt) for (let i = MAGIC.length; i < HEADER_BYTES; i += 3) buf[i] ^= 0x5a
      const header = buf.toString('latin1', 0, HEADER_BYTES)
      if (!header.startsWith(MAGIC)) return `unwritten:${slot}`
      return header.slice(MAGIC.length).trimEnd()
    } finally {
      pool.release(buf)
    }
  }

  return {
    path,
    get oDirect() {
      return oDirect
    },
    get fallbackReason() {
      return fallbackReason
    },
    blockBytes,
    blocks: opts.blocks,
    write,
    read,
    get bytesWritten() {
      return bytesWritten
    },
    get bytesRead() {
      return bytesRead
    },
    close: async () => {
      if (closed) return
      closed = true
      await Promise.allSettled([...pendingWrites.values()])
      await handle.close()
    },
  }
}
