import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loraAdapterBytes } from '../../../emulator/engine/emulator-profile'
import { LoraStore } from '../../../emulator/engine/lora-store'
import { getProfile } from '../../../emulator/profiles'

describe('LoraStore', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kvsim-lora-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('creates adapter files of rank × layers × dims × 2 × bytes ÷ ioScale, rounded to 4 KiB', async () => {
    const profile = getProfile('llama31-8b-fp8')
    const store = new LoraStore({ profile, dir, count: 3, ioScale: 64, timeScale: 1 })
    await store.ensureFiles()
    expect((await readdir(dir)).sort()).toEqual(['adapter-000', 'adapter-001', 'adapter-002'])
    const expected = Math.ceil(loraAdapterBytes(profile) / 64 / 4096) * 4096
    expect((await stat(join(dir, 'adapter-001'))).size).toBe(expected)
    expect(store.fileBytes).toBe(expected)
  })

  it('loads cold once, then warm, and keeps at most max_loras resident (LRU)', async () => {
    const profile = getProfile('tiny')
    const store = new LoraStore({ profile, dir, count: 6, ioScale: 1, timeScale: 1 })
    await store.ensureFiles()
    expect(await store.load('adapter-000')).toEqual({ cold: true })
    expect(await store.load('adapter-000')).toEqual({ cold: false })
    for (const n of ['adapter-001', 'adapter-002', 'adapter-003', 'adapter-004']) await store.load(n)
    // max_loras = 4 for tiny: adapter-000 was least recently used and left.
    expect(store.loadedAdapters()).toEqual(['adapter-001', 'adapter-002', 'adapter-003', 'adapter-004'])
    expect(await store.load('adapter-000')).toEqual({ cold: true })
  })

  it('names the valid adapters when asked for an unknown one', async () => {
    const store = new LoraStore({ profile: getProfile('tiny'), dir, count: 2, ioScale: 1, timeScale: 1 })
    await expect(store.load('adapter-007')).rejects.toThrow(/Expected adapter to be one of adapter-000…adapter-001 got adapter-007/)
  })
})
