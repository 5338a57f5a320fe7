import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type NestedRun, runNested } from '../../faults/nested-run'

// CI proof that the sizing path works at Spark scale: the real H2B suite against kvsim's
// llama31-8b-fp8 profile at its real device capacity (22,682 blocks of 32 tokens, no override), the
// working set sized from the capacities kvsim reports. Time scale 0.02 and 1/1000-size disk blocks
// keep it within a couple of minutes and ~0.2 GB of disk on a busy 2-core box; the tier sizes,
// block counts and prompts are the full-size ones.
const YAML = 'target:\n  kind: emulator\n  time_scale: 0.02\n  io_scale: 0.001\n'

describe('h2b at the real device capacity of 8B FP8 on GB10 (kvsim llama31-8b-fp8)', () => {
  let run: NestedRun
  beforeAll(async () => {
    run = await runNested({
      files: ['suites/h2b-tiered-kv-knee.test.ts'],
      config: { file: 'vitest.config.ts', project: 'suites' },
      env: { TIERBENCH_EMULATOR_PROFILE: 'llama31-8b-fp8' },
      configYaml: YAML,
      timeoutMs: 400_000,
    })
  }, 420_000)
  afterAll(() => run?.cleanup())

  it('runs at the profile device tier kvsim reports, with no override', () => {
    const m = run.manifest() as unknown as { tiers?: Record<string, { plan: { device_kv_tokens: number | null }; effective: { device_kv_tokens: number; source: Record<string, string> } }> }
    const entries = Object.values(m.tiers ?? {})
    expect(entries.length, run.output.slice(-3000)).toBeGreaterThan(0)
    for (const e of entries) {
      expect(e.plan.device_kv_tokens).toBeNull()
      expect(e.effective.device_kv_tokens).toBe(22_682 * 32)
      expect(e.effective.source.device_kv_tokens).toBe('engine-log')
    }
  })

  it('passes the working-set preflight and the disk gates', () => {
    const gates = run.gates('h2b')
    const status = (id: string) => gates.filter((g) => g.gate_id === id).map((g) => g.status)
    expect(status('working_set_exceeds_upper_tiers'), run.output.slice(-3000)).toEqual(['pass', 'pass'])
    expect(status('disk_offload')).toEqual(['pass'])
    expect(status('disk_rehydrate')).toEqual(['pass'])
    expect(status('kv_reuse')).toEqual(['pass'])
    const rehydrated = gates.find((g) => g.gate_id === 'disk_rehydrate')!.observed ?? 0
    expect(rehydrated).toBeGreaterThan(1000)
  })
})
