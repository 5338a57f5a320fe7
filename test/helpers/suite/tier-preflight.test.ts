import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type NestedRun, runNested } from '../../faults/nested-run'

// A real nested run of test/faults/suites/tier-preflight.fault-suite.ts on kvsim's tiny profile.
describe('tier preflights in a suite run', () => {
  let run: NestedRun
  beforeAll(async () => {
    run = await runNested({ files: ['test/faults/suites/tier-preflight.fault-suite.ts'] })
  }, 180_000)
  afterAll(() => run?.cleanup())

  it('fails a phase whose working set fits device + host with WORKING_SET_FITS_UPPER_TIERS before any request is sent', () => {
    const g = run.gates('fault_tier_preflight').find((r) => r.scope === 'fits-upper-tiers' && r.gate_id === 'working_set_exceeds_upper_tiers')
    expect(g, run.output.slice(-3000)).toBeDefined()
    expect(g!.status).toBe('fail')
    expect(g!.reason_code).toBe('WORKING_SET_FITS_UPPER_TIERS')
    expect(g!.blocker_group).toBe('harness_setup')
    // 1,024 tokens against 1.2 x (tiny's 3,072 device + 6,144 host tokens).
    expect(g!.observed).toBeCloseTo(1024 / (1.2 * 9216), 4)
    expect(JSON.stringify(g)).toMatch(/got 1,024 \(device 3,072 \[engine-log\], host 6,144 \[engine-log\]\)/)
    // Fail fast: no phase record and no request for it.
    expect(run.phases('fault_tier_preflight').map((p) => p.phase)).not.toContain('fits-upper-tiers')
    const requests = join(run.runDir, 'raw', 'requests.jsonl')
    const lines = existsSync(requests) ? readFileSync(requests, 'utf8').split('\n').filter((l) => l.includes('fits-upper-tiers')) : []
    expect(lines).toEqual([])
  })

  it('refuses a host tier larger than the machine before the worker starts', () => {
    const g = run.gates('fault_tier_preflight').find((r) => r.scope === 'host-tier-too-large' && r.gate_id === 'tier_plan_fits_machine')
    expect(g, run.output.slice(-3000)).toBeDefined()
    expect(g!.status).toBe('fail')
    expect(g!.reason_code).toBe('TIER_PLAN_EXCEEDS_MACHINE')
    expect(run.phases('fault_tier_preflight').map((p) => p.phase)).not.toContain('host-tier-too-large')
  })

  it('files both as a harness setup problem, not a platform blocker', () => {
    const v = run.verdict('fault_tier_preflight')
    expect(v.run_valid).toBe(false)
    expect(v.outcome).not.toBe('blocked')
    expect(v.blockers.map((b) => b.blocker_group)).toEqual(['harness_setup'])
    expect(run.dossier()).toMatch(/Harness setup \(not a platform finding\)/)
  })
})
