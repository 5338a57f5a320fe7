import { describe, expect, it } from 'vitest'
import { attributePhase } from '../../../helpers/telemetry/attribution'

const open = [{ pid: 42, fd: 7, path: '/cache/dynamo-kvbm-disk-cache-AB', size_bytes: 1 << 30, deleted: true }]
const dev = { read_bytes: 1000, write_bytes: 500 }

describe('IO attribution', () => {
  it('is high with process bytes and an open file under the cache dir', () => {
    const a = attributePhase({ device: 'nvme0n1', blockDevice: dev, processIo: { read_bytes: 800, write_bytes: 500 }, cgroupIo: null, cacheDir: '/cache', openFiles: open, kvbm: { kvbm_onboard_blocks_d2d_delta: 3, kvbm_onboard_blocks_h2d_delta: 50 } })
    expect(a.confidence).toBe('high')
    expect(a.target_read_share).toBe(0.8)
    expect(a.target_write_share).toBe(1)
    expect(a.kvbm_disk_onboard_blocks_delta).toBe(3)
    expect(a.kvbm_host_onboard_blocks_delta).toBe(50)
    expect(a.rationale.join(' ')).toMatch(/unlinked/)
  })

  it('is medium with process bytes but no open-file evidence', () => {
    expect(attributePhase({ device: 'vda', blockDevice: dev, processIo: { read_bytes: 10, write_bytes: 0 }, cgroupIo: null, cacheDir: '/cache', openFiles: [], kvbm: null }).confidence).toBe('medium')
  })

  it('accepts cgroup bytes when /proc/<pid>/io reads zero (containers)', () => {
    const a = attributePhase({ device: 'vda', blockDevice: dev, processIo: { read_bytes: 0, write_bytes: 0 }, cgroupIo: { cgroup_rbytes: 900, cgroup_wbytes: 100 }, cacheDir: '/cache', openFiles: open, kvbm: null })
    expect(a.confidence).toBe('high')
    expect(a.target_read_share).toBe(0.9)
  })

  it('is low with device counters only, including zero process bytes nobody can confirm', () => {
    expect(attributePhase({ device: 'vda', blockDevice: dev, processIo: null, cgroupIo: null, cacheDir: null, openFiles: [], kvbm: null }).confidence).toBe('low')
    const z = attributePhase({ device: 'vda', blockDevice: dev, processIo: { read_bytes: 0, write_bytes: 0 }, cgroupIo: null, cacheDir: '/c', openFiles: open, kvbm: null })
    expect(z.confidence).toBe('low')
    expect(z.rationale.join(' ')).toMatch(/read zero/)
  })

  it('is none with nothing measured, and shares stay null', () => {
    const a = attributePhase({ device: null, blockDevice: null, processIo: null, cgroupIo: null, cacheDir: null, openFiles: [], kvbm: null })
    expect(a.confidence).toBe('none')
    expect(a.target_read_share).toBeNull()
    expect(a.kvbm_disk_onboard_blocks_delta).toBeNull()
  })
})
