import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createMemoryCollector, memoryReading, parseMeminfo } from '../../../helpers/telemetry/memory'
import { conformanceClock, testCollector } from './collector-conformance'

testCollector('memory', (a) => createMemoryCollector(a), { expectAvailable: true })

describe('memory collector', () => {
  it('reports MemAvailable in bytes between 0 and MemTotal, and non-negative paging rates', async () => {
    const total = parseMeminfo(readFileSync('/proc/meminfo', 'utf8')).MemTotal
    const c = createMemoryCollector({ clock: conformanceClock(), cadenceMs: 100 })
    await c.start()
    await new Promise((r) => setTimeout(r, 500))
    const { samples } = await c.stop()
    expect(samples.length).toBeGreaterThan(1)
    for (const s of samples) {
      expect(s.mem_available_bytes).toBeGreaterThan(0)
      expect(s.mem_available_bytes).toBeLessThanOrEqual(total)
      expect(s.pgmajfault_s).toBeGreaterThanOrEqual(0)
      expect(s.dirty_bytes).toBeGreaterThanOrEqual(0)
    }
  })

  it('records a missing meminfo field as null rather than 0', () => {
    const r = memoryReading('MemTotal: 100 kB\nCached: 5 kB\n', 'pgmajfault 7\n')
    expect(r.mem_available_bytes).toBeNull()
    expect(r.swap_used_bytes).toBeNull()
    expect(r.cached_bytes).toBe(5 * 1024)
    expect(r.pgmajfault).toBe(7)
    expect(r.pgpgin).toBeNull()
  })
})

describe('memory field extraction', () => {
  it('agrees with a full parse of the live /proc/meminfo and /proc/vmstat', () => {
    const mi = readFileSync('/proc/meminfo', 'utf8')
    const full = parseMeminfo(mi)
    const r = memoryReading(mi, 'pgmajfault 1\npgpgin 2\npgpgout 3\n')
    expect(r.cached_bytes).toBe(full.Cached)
    expect(r.swap_used_bytes).toBe(full.SwapTotal - full.SwapFree)
    expect([r.pgmajfault, r.pgpgin, r.pgpgout]).toEqual([1, 2, 3])
    // A key that is a prefix of another (Writeback vs WritebackTmp) picks the exact one.
    expect(memoryReading('WritebackTmp:  9 kB\nWriteback:  4 kB\n', '').writeback_bytes).toBe(4096)
  })
})
