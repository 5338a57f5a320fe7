import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { blockDeviceSample, createBlockDeviceCollector } from '../../../helpers/telemetry/block-device'
import { resolveBlockDevice, splitDev } from '../../../helpers/telemetry/block-device-resolve'
import type { DiskCounters } from '../../../helpers/telemetry/diskstats'
import { writeDirect } from '../../../helpers/storage/o-direct'
import { conformanceClock, testCollector } from './collector-conformance'

const dir = mkdtempSync(join(tmpdir(), 'tb-blockdev-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

testCollector('block_device', (a) => createBlockDeviceCollector({ ...a, dir }), { expectAvailable: true })
testCollector('block_device on procfs', (a) => createBlockDeviceCollector({ ...a, dir: '/proc' }), { expectAvailable: false })

describe('block device resolution', () => {
  it('resolves the temp dir to the whole disk that holds it', () => {
    const r = resolveBlockDevice(dir)
    expect(r.disks.length).toBe(1)
    expect(r.disks[0]).not.toMatch(/\d+p?\d+$|^dm-/) // a disk, not a partition or mapper
  })

  it('walks partitions up to their disk and device-mapper down to its slaves', () => {
    const { major, minor } = splitDev(statSync(dir, { bigint: true }).dev)
    const sys = mkdtempSync(join(tmpdir(), 'tb-fakesys-'))
    try {
      const dev = join(sys, 'devices/virtual/block')
      mkdirSync(join(dev, 'nvme0n1/nvme0n1p2'), { recursive: true })
      writeFileSync(join(dev, 'nvme0n1/nvme0n1p2/partition'), '2\n')
      mkdirSync(join(dev, 'nvme1n1'), { recursive: true })
      mkdirSync(join(dev, 'dm-0/slaves'), { recursive: true })
      symlinkSync(join(dev, 'nvme0n1/nvme0n1p2'), join(dev, 'dm-0/slaves/nvme0n1p2'))
      symlinkSync(join(dev, 'nvme1n1'), join(dev, 'dm-0/slaves/nvme1n1'))
      mkdirSync(join(sys, 'dev/block'), { recursive: true })
      symlinkSync(join(dev, 'dm-0'), join(sys, 'dev/block', `${major}:${minor}`))
      expect(resolveBlockDevice(dir, sys)).toEqual({ source: 'dm-0', majMin: `${major}:${minor}`, disks: ['nvme0n1', 'nvme1n1'] })
    } finally {
      rmSync(sys, { recursive: true, force: true })
    }
  })

  it('refuses a directory with no block device behind it and says why', () => {
    expect(() => resolveBlockDevice('/proc')).toThrow(/Expected a block device behind \/proc/)
  })
})

describe('block device collector', () => {
  it('sees O_DIRECT writes plus fsync in w_s and write_bytes of the right disk', async () => {
    const c = createBlockDeviceCollector({ clock: conformanceClock(), cadenceMs: 100, dir })
    await c.start()
    const before = await c.snapshot()
    await new Promise((r) => setTimeout(r, 150))
    const bytes = 16 << 20
    expect(writeDirect(join(dir, 'payload.bin'), bytes)).toBe(bytes)
    await new Promise((r) => setTimeout(r, 350))
    const after = await c.snapshot()
    const { samples } = await c.stop()
    expect(after.write_bytes! - before.write_bytes!).toBeGreaterThanOrEqual(bytes)
    expect(after.write_ios! - before.write_ios!).toBeGreaterThan(0)
    expect(Math.max(...samples.map((s) => s.w_s ?? 0))).toBeGreaterThan(0)
    expect(Math.max(...samples.map((s) => s.wMB_s ?? 0))).toBeGreaterThan(1)
  })

  it('computes iostat -x figures from counter deltas', () => {
    const z: DiskCounters = { read_ios: 0, read_merges: 0, read_sectors: 0, read_ticks_ms: 0, write_ios: 0, write_merges: 0, write_sectors: 0, write_ticks_ms: 0, in_flight: 0, io_ticks_ms: 0, weighted_ticks_ms: 0 }
    const b = { ...z, read_ios: 100, read_sectors: 2048 * 10, read_ticks_ms: 250, io_ticks_ms: 500, weighted_ticks_ms: 1500 }
    const s = blockDeviceSample(z, b, 2, { t_ms: 0, wall_ms: 0 }, 'vda')
    expect(s.r_s).toBe(50)
    expect(s.rMB_s).toBe(5)
    expect(s.r_await_ms).toBe(2.5)
    expect(s.w_await_ms).toBeNull() // no writes: no await, not 0
    expect(s.aqu_sz).toBe(0.75)
    expect(s.util_pct).toBe(25)
  })
})

describe('block device resolution of a directory not created yet', () => {
  it('uses the nearest existing ancestor', () => {
    expect(resolveBlockDevice(join(dir, 'not', 'yet')).disks).toEqual(resolveBlockDevice(dir).disks)
  })
})
