import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tierPlanReport } from '../../../helpers/tiers/tier-plan-report'

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))

describe('tierbench plan: tier plans per phase', () => {
  it('prints, for H2B on a Spark 8B FP8 Dynamo engine, each phase tier plan, its expected capacities, the working set and minutes', async () => {
    const lines = await tierPlanReport({ files: [resolve(ROOT, 'suites/h2b-tiered-kv-knee.test.ts')], cwd: ROOT, dynamo: {}, env: { TIERBENCH_PROFILE: 'full' } })
    const text = lines.join('\n')
    expect(text).toMatch(/suite h2b/)
    expect(text).toMatch(/ctx7600-replay(-r1)? \[measure B2\]/)
    expect(text).toMatch(/tier plan: device engine default, host 8\.0 GB, disk 208\.8 GB, lru/)
    expect(text).toMatch(/effective: device 725,824 tokens \[estimated\], host 61,024 \[configured\]/)
    // 156 sessions x 7,600 tokens = 1.5 x (device + host), checked at the claim's 1.2.
    expect(text).toMatch(/working set: 1,185,600 tokens, must exceed 1\.2 x device\+host: ok/)
    expect(text).toMatch(/ctx512-populate(-r1)? [\s\S]*?time: \d+\.\d min \(312 x 512-token prompts\)/)
    // One worker start per repetition of the protocol (full: 3), each from a fresh cache.
    expect(text).toMatch(/total: \d+\.\d min \(3 worker start\(s\) at 180 s each\)/)
  }, 60_000)

  it('plans H6 on Dynamo with machine-sized device x host cells and no LFU cell (KVBM evicts LRU only)', async () => {
    const lines = await tierPlanReport({ files: [resolve(ROOT, 'suites/h6-tier-sizing-eviction.test.ts')], cwd: ROOT, dynamo: {}, env: { TIERBENCH_PROFILE: 'full' } })
    const text = lines.join('\n')
    expect(text).toMatch(/tier plan: device 16,384 tokens, host 2\.1 GB, disk 32\.0 GB, lru/)
    expect(text).toMatch(/tier plan: device 32,768 tokens, host 21\.5 GB, disk 32\.0 GB, lru/)
    expect(text).not.toMatch(/-lfu/)
    expect(text).toMatch(/working set: 131,072 tokens, must exceed 1\.2 x device\+host: ok/)
  }, 60_000)
})
