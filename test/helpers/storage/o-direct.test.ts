import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { probeODirect, readDirect, writeDirect } from '../../../helpers/storage/o-direct'

const dir = mkdtempSync(join(tmpdir(), 'tb-odirect-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('O_DIRECT helpers', () => {
  it('writes and reads back a file with O_DIRECT in 4 KiB-aligned units', () => {
    const f = join(dir, 'a.bin')
    expect(writeDirect(f, 3 * 1024 * 1024 + 100)).toBe(3 * 1024 * 1024 + 4096)
    expect(statSync(f).size).toBe(3 * 1024 * 1024 + 4096)
    expect(readDirect(f)).toBe(3 * 1024 * 1024 + 4096)
  })

  it('probes O_DIRECT support of a directory and leaves nothing behind', () => {
    const sub = mkdtempSync(join(dir, 'probe-'))
    expect(probeODirect(sub)).toEqual({ supported: true, reason: null })
    expect(readdirSync(sub)).toEqual([])
  })

  it('reports a directory where O_DIRECT IO cannot run, with a reason', () => {
    const r = probeODirect('/proc')
    expect(r.supported).toBe(false)
    expect(r.reason).toMatch(/^Expected O_DIRECT IO to work in \/proc, got /)
  })
})
