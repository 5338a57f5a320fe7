import { readFileSync } from 'node:fs'

// Reads a PNG's signature and IHDR, so tests check a real PNG of the requested size without a decoder.
export const pngInfo = (path: string): { isPng: boolean; width: number; height: number } => {
  const b = readFileSync(path)
  const isPng = b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) && b.subarray(12, 16).toString('ascii') === 'IHDR'
  return { isPng, width: isPng ? b.readUInt32BE(16) : 0, height: isPng ? b.readUInt32BE(20) : 0 }
}
