import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createCacheDirCollector, dirUsage, openFilesUnder } from '../../../helpers/telemetry/cache-dir'
import { testCollector } from './collector-conformance'

const dir = mkdtempSync(join(tmpdir(), 'tb-cachedir-'))
// A child that does what KVBM does: create the cache file, size it, unlink it, keep it open.
const holder = spawn(process.execPath, [
  '-e',
  `const fs=require('fs');const p=${JSON.stringify(join(dir, 'dynamo-kvbm-disk-cache-XYZ'))};const fd=fs.openSync(p,'w+');fs.writeSync(fd,Buffer.alloc(65536,1));fs.unlinkSync(p);console.log('ready');setInterval(()=>{},1000)`,
])
const ready = new Promise<void>((res) => holder.stdout!.once('data', () => res()))
afterAll(() => {
  holder.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

testCollector('cache_dir', (a) => createCacheDirCollector({ ...a, dir, pids: [holder.pid!] }), { expectAvailable: true })
testCollector('cache_dir without a dir', (a) => createCacheDirCollector({ ...a, dir: null, pids: [] }), { expectAvailable: false })

describe('cache dir collector', () => {
  it('finds an unlinked file a child holds open under the cache dir, with its size and deleted flag', async () => {
    await ready
    writeFileSync(join(dir, 'visible.bin'), Buffer.alloc(8192))
    const files = openFilesUnder(dir, [holder.pid!])
    expect(files).toHaveLength(1)
    expect(files[0]).toMatchObject({ pid: holder.pid, deleted: true, size_bytes: 65536 })
    expect(files[0].path.endsWith('dynamo-kvbm-disk-cache-XYZ')).toBe(true)
    const u = dirUsage(dir)
    expect(u.file_count).toBe(1) // the unlinked file is invisible to a directory walk
    expect(u.size_bytes).toBeGreaterThanOrEqual(8192)
  })

  it('ignores open files outside the cache dir', () => {
    const other = mkdtempSync(join(tmpdir(), 'tb-other-'))
    try {
      expect(openFilesUnder(other, [holder.pid!])).toEqual([])
    } finally {
      rmSync(other, { recursive: true })
    }
  })
})
