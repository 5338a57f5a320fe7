import type { FileHandle } from 'node:fs/promises'

// O_DIRECT needs buffers aligned to the device's logical block size. Node cannot tell a Buffer's
// address, so we over-allocate and probe: an O_DIRECT read into a misaligned slice fails with EINVAL.

export const IO_ALIGN = 4096

export const roundUpToAlign = (n: number, align = IO_ALIGN): number => Math.ceil(n / align) * align

/**
 * Returns a slice of `size` bytes (multiple of 4096) whose address O_DIRECT accepts, probing with a
 * 4096-byte IO at offset 0 of `fh`. Returns null when no offset works (the filesystem refuses O_DIRECT).
 * Probe with `write` on files whose first 4 KiB may be a hole (reads of holes skip the alignment
 * check); `read` only on files with written data at offset 0.
 */
export const allocAlignedForDirectIo = async (fh: FileHandle, size: number, probe: 'read' | 'write'): Promise<Buffer | null> => {
  const big = Buffer.allocUnsafeSlow(size + IO_ALIGN)
  big.fill(0)
  for (let off = 0; off < IO_ALIGN; off += 16) {
    try {
      if (probe === 'read') await fh.read(big, off, IO_ALIGN, 0)
      else await fh.write(big, off, IO_ALIGN, 0)
      return big.subarray(off, off + size)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err
    }
  }
  return null
}
