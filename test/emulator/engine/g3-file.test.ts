import { mkdtemp, readdir, readlink, readdir as readdirProc, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openG3File } from '../../../emulator/engine/g3-file'

const openFds = async (): Promise<string[]> => {
  const out: string[] = []
  for (const fd of await readdirProc('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => null)
    if (target) out.push(target)
  }
  return out
}

describe('openG3File', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kvsim-g3-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('round-trips block contents through real positional O_DIRECT IO', async () => {
    const g3 = await openG3File({ dir, blocks: 8, blockBytes: 10_000, disableODirect: false })
    try {
      // ext4/xfs accept O_DIRECT; a filesystem that refuses must say why.
      expect(g3.oDirect || g3.fallbackReason !== null).toBe(true)
      expect(g3.blockBytes).toBe(12288)
      await Promise.all([g3.write(3, 'aaaa1111bbbb2222'), g3.write(5, 'cccc3333dddd4444')])
      expect(await g3.read(3, false)).toBe('aaaa1111bbbb2222')
      expect(await g3.read(5, false)).toBe('cccc3333dddd4444')
      expect(g3.bytesWritten).toBe(2 * 12288)
      expect(g3.bytesRead).toBe(2 * 12288)
    } finally {
      await g3.close()
    }
  })

  it('uses O_DIRECT on this temp filesystem unless DYN_KVBM_DISK_DISABLE_O_DIRECT asks for buffered IO', async () => {
    const direct = await openG3File({ dir, blocks: 2, blockBytes: 4096, disableODirect: false })
    const buffered = await openG3File({ dir, blocks: 2, blockBytes: 4096, disableODirect: true })
    try {
      expect(direct.oDirect).toBe(true)
      expect(buffered.oDirect).toBe(false)
      expect(buffered.fallbackReason).toMatch(/DYN_KVBM_DISK_DISABLE_O_DIRECT/)
      await buffered.write(1, 'feedfacefeedface')
      expect(await buffered.read(1, false)).toBe('feedfacefeedface')
    } finally {
      await direct.close()
      await buffered.close()
    }
  })

  it('returns a different content hash when the read is corrupted', async () => {
    const g3 = await openG3File({ dir, blocks: 2, blockBytes: 4096, disableODirect: false })
    try {
      await g3.write(0, '0123456789abcdef')
      const bad = await g3.read(0, true)
      expect(bad).not.toBe('0123456789abcdef')
      expect(await g3.read(0, false)).toBe('0123456789abcdef')
    } finally {
      await g3.close()
    }
  })

  it('unlinks the file at once, keeps it open as (deleted), and releases it on close', async () => {
    const g3 = await openG3File({ dir, blocks: 4, blockBytes: 4096, disableODirect: false })
    expect(g3.path).toMatch(/kvsim-disk-cache-[A-Za-z0-9]{6}$/)
    expect(await readdir(dir)).toEqual([])
    expect(await openFds()).toContain(`${g3.path} (deleted)`)
    await g3.close()
    expect((await openFds()).some((t) => t.startsWith(g3.path))).toBe(false)
    await expect(g3.read(0, false)).rejects.toThrow(/closed/)
  })

  it('rejects slots outside the file with the slot in the message', async () => {
    const g3 = await openG3File({ dir, blocks: 2, blockBytes: 4096, disableODirect: false })
    try {
      await expect(g3.write(2, 'x')).rejects.toThrow(/Expected G3 slot in \[0, 2\) got 2/)
    } finally {
      await g3.close()
    }
  })
})
