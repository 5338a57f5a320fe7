import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { captureNvmeHealth, createNvmeHealthCollector, parseLspciLink, smartCounters } from '../../../helpers/telemetry/nvme-health'
import { testCollector } from './collector-conformance'

const dir = mkdtempSync(join(tmpdir(), 'tb-nvme-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

testCollector('nvme_health (virtio disk here)', (a) => createNvmeHealthCollector({ ...a, dir }), { expectAvailable: false, periodic: false })

describe('NVMe health', () => {
  it('records the virtio disk and missing tools as unavailable, each with a reason', async () => {
    const c = await captureNvmeHealth(dir, 'before', { t_ms: 0, wall_ms: Date.now() })
    expect(c.available).toBe(false)
    expect(c.disk).toBeTruthy()
    expect(c.reasons.join('\n')).toMatch(/Expected an NVMe namespace behind .*, got \S+/)
    expect(c.smart_log).toBeNull()
  })

  it('records a directory with no block device as unavailable', async () => {
    const c = await captureNvmeHealth('/proc', 'after', { t_ms: 0, wall_ms: 0 })
    expect(c.available).toBe(false)
    expect(c.reasons[0]).toMatch(/block device/)
  })

  it('explains through available() why it captured nothing', async () => {
    const clock = { nowMs: () => performance.now(), wallMs: () => Date.now() }
    const c = createNvmeHealthCollector({ clock, dir })
    expect((await c.available()).reason).toMatch(/NVMe namespace/)
    await c.start()
    expect((await c.stop()).samples).toEqual([])
  })

  it('reads PCIe link capability and status from lspci -vv', () => {
    const text = `\t\tLnkCap:\tPort #0, Speed 16GT/s, Width x4, ASPM L1, Exit Latency L1 <64us\n\t\tLnkSta:\tSpeed 8GT/s (downgraded), Width x4\n`
    expect(parseLspciLink(text)).toEqual({ lnk_cap: '16GT/s x4', lnk_sta: '8GT/s (downgraded) x4' })
    expect(parseLspciLink('')).toEqual({ lnk_cap: null, lnk_sta: null })
  })

  it('takes SMART counters from nvme-cli JSON and from smartctl JSON, null when absent', () => {
    expect(smartCounters({ data_units_read: 10, data_units_written: 20, media_errors: 0 })).toMatchObject({ data_units_read: 10, data_units_written: 20, media_errors: 0, percentage_used: null })
    expect(smartCounters({ nvme_smart_health_information_log: { data_units_read: 5, percentage_used: 1 } })).toMatchObject({ data_units_read: 5, percentage_used: 1 })
    expect(smartCounters(null).data_units_read).toBeNull()
  })
})
