import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { cpuSample, createCpuCollector, parseProcStatCpu } from '../../../helpers/telemetry/cpu'
import { conformanceClock, testCollector } from './collector-conformance'

testCollector('cpu', (a) => createCpuCollector(a), { expectAvailable: true })

describe('cpu collector', () => {
  it('reads /proc/stat into shares that add up to 100 % of the interval', async () => {
    const c = createCpuCollector({ clock: conformanceClock(), cadenceMs: 100 })
    await c.start()
    await new Promise((r) => setTimeout(r, 700))
    const { samples } = await c.stop()
    expect(samples.length).toBeGreaterThan(2)
    for (const s of samples) {
      const parts = [s.user_pct, s.system_pct, s.iowait_pct, s.idle_pct, s.irq_pct, s.softirq_pct, s.steal_pct]
      for (const p of parts) expect(p).toBeGreaterThanOrEqual(0)
      expect(parts.reduce((x, y) => x! + y!, 0)).toBeCloseTo(100, 5)
    }
  })

  it('counts busy time of this process as user or system time', () => {
    const a = parseProcStatCpu(readFileSync('/proc/stat', 'utf8'))
    const end = Date.now() + 300
    while (Date.now() < end) Math.sqrt(Math.random())
    const b = parseProcStatCpu(readFileSync('/proc/stat', 'utf8'))
    const s = cpuSample(a, b, { t_ms: 0, wall_ms: 0 })
    expect(s.user_pct! + s.system_pct!).toBeGreaterThan(0)
  })

  it('gives null shares, not zeros, for an empty interval', () => {
    const a = parseProcStatCpu(readFileSync('/proc/stat', 'utf8'))
    expect(cpuSample(a, a, { t_ms: 0, wall_ms: 0 }).user_pct).toBeNull()
  })
})
