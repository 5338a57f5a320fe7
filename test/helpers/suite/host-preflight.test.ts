import { describe, expect, it } from 'vitest'
import { type HostLoad, hostLoadProblems, hostLoadWarning, measureHostLoad, readCpuTimes } from '../../../helpers/suite/host-preflight'

const quiet: HostLoad = { cores: 2, loadavg_1m: 0.3, load_per_core: 0.2, cpu_busy_pct: 5, cpu_steal_pct: 0, event_loop_delay_p99_ms: 2, sample_ms: 500 }

describe('host preflight', () => {
  it('reads total, idle+iowait and steal jiffies from the aggregate cpu line of /proc/stat', () => {
    expect(readCpuTimes('cpu  100 0 50 800 20 5 5 20 7 0\ncpu0 1 2 3 4 5 6 7 8 9 0\n')).toEqual([1000, 820, 20])
    expect(readCpuTimes('intr 1 2 3\n')).toBeNull()
  })

  it('measures this host: cores, load, busy and steal shares, and event-loop delay', async () => {
    const h = await measureHostLoad(200)
    expect(h.cores).toBeGreaterThanOrEqual(1)
    expect(h.loadavg_1m).toBeGreaterThanOrEqual(0)
    expect(h.cpu_busy_pct).toBeGreaterThanOrEqual(0)
    expect(h.cpu_busy_pct).toBeLessThanOrEqual(100)
    expect(h.cpu_steal_pct).toBeGreaterThanOrEqual(0)
    expect(h.event_loop_delay_p99_ms).toBeGreaterThan(0)
  })

  it('warns in one line naming each limit a busy host exceeds, and stays silent on a quiet one', () => {
    expect(hostLoadWarning(quiet)).toBeNull()
    const busy = { ...quiet, loadavg_1m: 4.1, load_per_core: 2.1, cpu_busy_pct: 97, cpu_steal_pct: 12, event_loop_delay_p99_ms: 41 }
    expect(hostLoadProblems(busy)).toEqual(['load average 4.1 on 2 cores', 'CPU 97 % busy beforehand', '12 % CPU steal', 'event-loop delay p99 41 ms'])
    const w = hostLoadWarning(busy)!
    expect(w.split('\n')).toHaveLength(1)
    expect(w).toMatch(/^tierbench: warning: this host is busy \(load average 4\.1 on 2 cores, .*\); timing gates \(CLIENT_BOTTLENECK, ALIGNMENT_LOW\) may fail because of the host, not the product/)
  })
})
