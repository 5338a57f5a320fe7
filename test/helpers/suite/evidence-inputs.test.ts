import { describe, expect, test } from 'vitest'
import { GATE_ATTRIBUTION, GATE_P99_DELTA_CI } from '../../../helpers/gates/catalog'
import { evaluateGate } from '../../../helpers/gates/evaluate-gate'
import type { PhaseOutcome } from '../../../helpers/suite/define-hypothesis'
import { ioAttributionInput } from '../../../helpers/suite/io-attribution-input'
import { userImpactInput } from '../../../helpers/suite/user-impact-input'

// The two evidence links suites now compute: OS corroboration (IO attribution over disk-served
// phases) and user impact (TTFT p99 delta with a bootstrap CI). Phase outcomes are built by hand.

const outcome = (name: string, o: { d2d?: number | null; device?: number | null; proc?: number | null; cgroup?: number | null; ttfts?: number[] }): PhaseOutcome =>
  ({
    plan: { name, kind: 'measure', mode: 'B2' },
    record: {
      deltas: { kvbm: o.d2d === undefined ? null : { kvbm_onboard_blocks_d2d_delta: o.d2d } },
      attribution: { device_read_bytes: o.device ?? null, process_read_bytes: o.proc ?? null, cgroup_read_bytes: o.cgroup ?? null, confidence: 'medium' },
    },
    summary: {},
    requests: (o.ttfts ?? []).map((t) => ({ ok: true, ttft_ms: t })),
  }) as unknown as PhaseOutcome

const judge = (gate: typeof GATE_ATTRIBUTION, input: { value?: number | null }) =>
  evaluateGate(gate, { value: input.value, context: { suite_id: 's', scope: null, mode: 'B2', target_kind: 'dynamo' } })

describe('ioAttributionInput', () => {
  test('counts only phases whose counters say the disk served blocks, and passes at >= 80 % of device reads', () => {
    const input = ioAttributionInput([
      outcome('small', { d2d: 0, device: 10_000_000, proc: 0 }),
      outcome('large', { d2d: 50, device: 1_000_000, proc: 900_000 }),
    ])
    expect(input.value).toBe(90)
    expect(input.scope).toBe('large')
    expect(judge(GATE_ATTRIBUTION, input).status).toBe('pass')
  })

  test('falls back to cgroup bytes when process counters read zero, and fails when others did the IO', () => {
    expect(ioAttributionInput([outcome('x', { d2d: 5, device: 1000, proc: 0, cgroup: 950 })]).value).toBe(95)
    const low = ioAttributionInput([outcome('x', { d2d: 5, device: 1000, proc: 300 })])
    expect(judge(GATE_ATTRIBUTION, low).status).toBe('fail')
  })

  test('no disk-served phase, or no device bytes, is no data — never a pass', () => {
    expect(judge(GATE_ATTRIBUTION, ioAttributionInput([outcome('x', { d2d: 0, device: 1000, proc: 1000 })])).status).toBe('no_data')
    expect(judge(GATE_ATTRIBUTION, ioAttributionInput([outcome('x', { d2d: 3, device: 0, proc: 0 })])).status).toBe('no_data')
    expect(judge(GATE_ATTRIBUTION, ioAttributionInput([outcome('x', {})])).status).toBe('no_data')
  })
})

describe('userImpactInput', () => {
  const spread = (base: number) => Array.from({ length: 200 }, (_, i) => base + (i % 20))
  test('passes when the compared phase is slower at p99 beyond the bootstrap CI', () => {
    const input = userImpactInput([outcome('ctx512', { ttfts: spread(100) })], [outcome('ctx4096', { ttfts: spread(300) })], 1)
    expect(input.scope).toBe('ctx4096 vs ctx512')
    expect(input.details?.ttft_p99_delta_ms).toBeCloseTo(200, 0)
    expect(judge(GATE_P99_DELTA_CI, input).status).toBe('pass')
  })

  test('fails when the two are the same, and has no data without requests', () => {
    expect(judge(GATE_P99_DELTA_CI, userImpactInput([outcome('a', { ttfts: spread(100) })], [outcome('b', { ttfts: spread(100) })], 1)).status).toBe('fail')
    expect(judge(GATE_P99_DELTA_CI, userImpactInput([undefined], [outcome('b', { ttfts: [] })], 1)).status).toBe('no_data')
  })
})
