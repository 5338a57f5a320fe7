import { describe, expect, it } from 'vitest'
import { checkTierPlanFitsMachine, parseMemTotal, readMachineCapacity } from '../../../helpers/tiers/machine-preflight'
import { TierPlan } from '../../../helpers/tiers/tier-plan'

const GiB = 2 ** 30
const spark = { memTotalBytes: 128e9, diskFreeBytes: 3500 * GiB }

describe('tier plans against the machine', () => {
  it('refuses H6s old 65,536-block (256 GiB) host tier on a 128 GB machine', () => {
    const r = checkTierPlanFitsMachine(TierPlan.parse({ host_tier_bytes: 65536 * 4 * 2 ** 20 }), spark)
    expect(r?.code).toBe('TIER_PLAN_EXCEEDS_MACHINE')
    expect(r?.message).toMatch(/Expected host_tier_bytes <= 90 % of MemTotal \(107\.3 GiB\), got 256\.0 GiB/)
  })

  it('checks the disk footprint after the driver IO scale against free space', () => {
    const plan = TierPlan.parse({ disk_tier_bytes: 200 * GiB })
    expect(checkTierPlanFitsMachine(plan, { memTotalBytes: null, diskFreeBytes: 50 * GiB })?.code).toBe('TIER_PLAN_EXCEEDS_MACHINE')
    expect(checkTierPlanFitsMachine(plan, { memTotalBytes: null, diskFreeBytes: 50 * GiB }, { diskBytesDivisor: 20 })).toBeNull()
    expect(checkTierPlanFitsMachine(TierPlan.parse({ host_tier_bytes: 8e9, disk_tier_bytes: 32e9 }), spark)).toBeNull()
  })

  it('names the knob that fixes a disk refusal when the driver has one (kvsim: io_scale)', () => {
    const plan = TierPlan.parse({ disk_tier_bytes: 200 * GiB })
    const r = checkTierPlanFitsMachine(plan, { memTotalBytes: null, diskFreeBytes: 50 * GiB }, { diskHint: 'on kvsim, a smaller target.io_scale writes smaller blocks' })
    expect(r?.message).toMatch(/shrink disk_tier_bytes or free space; on kvsim, a smaller target.io_scale/)
  })

  it('reads MemTotal and the free space of the nearest existing directory', () => {
    expect(parseMemTotal('MemTotal:       131072000 kB\nMemFree: 1 kB\n')).toBe(131072000 * 1024)
    const m = readMachineCapacity('/tmp/does/not/exist/yet')
    expect(m.diskFreeBytes).toBeGreaterThan(0)
    expect(m.memTotalBytes).toBeGreaterThan(0)
  })
})
