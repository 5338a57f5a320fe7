import { describe, expect, it } from 'vitest'
import { summarizePhase, type PhaseSummary } from '../../../helpers/analysis/phase-summary'
import { bracketThenBisect, capacityFromSteps, meetsSlo } from '../../../helpers/analysis/slo-capacity'
import { makeRecord } from './request-record-fixture'

// A phase whose TTFT is `ttft` for every request (so p95 = p99 = ttft), with `errors` failures.
const phaseWith = (ttft: number, errors = 0): PhaseSummary =>
  summarizePhase(
    [
      ...Array.from({ length: 20 }, (_, i) => makeRecord({ seq: i, ttft_ms: ttft })),
      ...Array.from({ length: errors }, (_, i) => makeRecord({ seq: 100 + i, ok: false, error_class: 'http_5xx' })),
    ],
    { wall_ms: 1000 },
  )

describe('meetsSlo', () => {
  it('reads the metric the SLO names and explains each failure', () => {
    const s = phaseWith(300)
    expect(meetsSlo(s, { p95_ms: 500, p99_ms: 500 }).pass).toBe(true)
    const bad = meetsSlo(phaseWith(600, 1), { p99_ms: 500, error_rate_max: 0 })
    expect(bad.pass).toBe(false)
    expect(bad.failures[0]).toBe('ttft_ms p99: expected <= 500, got 600')
    expect(bad.failures[1]).toMatch(/^error_rate: expected <= 0, got 0.047/)
    // e2e is 41 ms in the fixture: an SLO on e2e passes where the TTFT one fails.
    expect(meetsSlo(phaseWith(600), { metric: 'e2e_ms', p99_ms: 500 }).pass).toBe(true)
  })
})

describe('capacityFromSteps', () => {
  it('returns the largest passing step below the first failing one, even if a later step passes again', () => {
    const steps = [1, 2, 4, 8, 16].map((x) => ({ x, summary: phaseWith(x === 8 ? 900 : 100) }))
    const r = capacityFromSteps(steps, { p99_ms: 500 })
    expect(r.status).toBe('bounded')
    expect(r.capacity_x).toBe(4)
    expect(r.first_failing_x).toBe(8)
  })

  it('distinguishes all passing from none passing', () => {
    expect(capacityFromSteps([1, 2].map((x) => ({ x, summary: phaseWith(100) })), { p99_ms: 500 })).toMatchObject({ status: 'all_pass', capacity_x: 2 })
    expect(capacityFromSteps([1, 2].map((x) => ({ x, summary: phaseWith(900) })), { p99_ms: 500 })).toMatchObject({ status: 'none_pass', capacity_x: null })
  })
})

describe('bracketThenBisect', () => {
  it('finds the exact integer capacity of a monotone synthetic server (TTFT = 20 ms x concurrency)', async () => {
    const measured: number[] = []
    const r = await bracketThenBisect({
      lo: 1,
      hi: 256,
      slo: { p99_ms: 1000 }, // 20·x <= 1000 ⇔ x <= 50
      measure: async (x) => {
        measured.push(x)
        return phaseWith(20 * x)
      },
      maxProbes: 20,
    })
    expect(r.status).toBe('bounded')
    expect(r.capacity_x).toBe(50)
    expect(r.first_failing_x).toBe(51)
    expect(measured.slice(0, 8)).toEqual([1, 2, 4, 8, 16, 32, 64, 48])
    expect(r.probes.length).toBe(measured.length)
  })

  it('stops at hi when everything passes, below lo when nothing does, and honours the probe budget', async () => {
    const fast = await bracketThenBisect({ lo: 1, hi: 10, slo: { p99_ms: 1000 }, measure: async () => phaseWith(1) })
    expect(fast).toMatchObject({ status: 'at_least_hi', capacity_x: 10 })
    const slow = await bracketThenBisect({ lo: 4, hi: 10, slo: { p99_ms: 1000 }, measure: async () => phaseWith(5000) })
    expect(slow).toMatchObject({ status: 'below_lo', capacity_x: null, first_failing_x: 4 })
    const budget = await bracketThenBisect({ lo: 1, hi: 1024, slo: { p99_ms: 1000 }, maxProbes: 3, measure: async (x) => phaseWith(x) })
    expect(budget.status).toBe('probes_exhausted')
    expect(budget.probes.length).toBe(3)
  })
})
