import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createEmulatorTarget } from '../../../helpers/target/emulator-target'
import { testTarget } from './target-conformance'

const root = mkdtempSync(join(tmpdir(), 'tb-emutarget-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

testTarget({
  name: 'emulator',
  create: () => createEmulatorTarget({ profile: 'tiny', timeScale: 0.05, scratchDir: join(root, 'scratch'), logsDir: join(root, 'logs') }),
  modes: ['B0', 'B1', 'B2', 'B2p', 'B3'],
  ownsProcesses: true,
})

describe('the emulator target', () => {
  test('each mode change gets a fresh cache dir and stop removes it', async () => {
    const scratch = join(root, 'fresh')
    const t = createEmulatorTarget({ profile: 'tiny', timeScale: 0.05, scratchDir: scratch, logsDir: join(root, 'logs2') })
    const a = await t.applyMode({ id: 'B2', cpuCacheOverrideNumBlocks: 32, diskCacheOverrideNumBlocks: 64 })
    const b = await t.applyMode({ id: 'B2', cpuCacheOverrideNumBlocks: 32, diskCacheOverrideNumBlocks: 64 })
    expect(a.cacheDir).not.toBe(b.cacheDir)
    expect(existsSync(a.cacheDir!)).toBe(false)
    expect(b.modeEvidence.join(' ')).toMatch(/disk tier file held open: .*kvsim-disk-cache-.* \(deleted\)/)
    await t.stop()
    expect(readdirSync(scratch).filter((d) => d.startsWith('kvcache-'))).toEqual([])
  })

  test('B1 is verified disk-free: no disk tier file is held open and the KVBM endpoint answers', async () => {
    const t = createEmulatorTarget({ profile: 'tiny', timeScale: 0.05, scratchDir: join(root, 'b1'), logsDir: join(root, 'logs3') })
    const info = await t.applyMode({ id: 'B1', cpuCacheOverrideNumBlocks: 32 })
    expect(info.modeVerified).toBe(true)
    expect(info.modeEvidence.join(' ')).toMatch(/no disk tier file held open/)
    await t.stop()
  })

  test('a kvsim that cannot start fails with the log file named', async () => {
    const t = createEmulatorTarget({ profile: 'no-such-profile', scratchDir: join(root, 'bad'), logsDir: join(root, 'logs4'), startTimeoutMs: 20_000 })
    await expect(t.applyMode({ id: 'B0' })).rejects.toThrow(/log: .*kvsim-1-B0\.log/)
    await t.stop()
  })
})
