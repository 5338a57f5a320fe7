import { describe, expect, it } from 'vitest'
import { alignEvents } from '../../../helpers/telemetry/alignment'

describe('alignment', () => {
  const every200 = Array.from({ length: 50 }, (_, i) => i * 200)

  it('counts an event aligned when a sample lies within one cadence', () => {
    const r = alignEvents([{ t_ms: 1000 }, { t_ms: 5050 }], { cpu: every200 }, ['cpu'], 200)
    expect(r).toEqual({ aligned_pct: 100, per_collector: { cpu: 100 } })
  })

  it('requires every collector for the overall share and reports each one', () => {
    const kvbmGap = every200.filter((t) => t < 3000 || t > 6000)
    const events = Array.from({ length: 100 }, (_, i) => ({ t_ms: i * 90 }))
    const r = alignEvents(events, { cpu: every200, kvbm: kvbmGap }, ['cpu', 'kvbm'], 200)
    expect(r.per_collector.cpu).toBe(100)
    expect(r.per_collector.kvbm).toBeLessThan(100)
    expect(r.aligned_pct).toBe(r.per_collector.kvbm)
  })

  it('gives 0 % for a required collector with no samples and null with no events', () => {
    expect(alignEvents([{ t_ms: 1 }], {}, ['gpu'], 200).per_collector.gpu).toBe(0)
    expect(alignEvents([], { cpu: every200 }, ['cpu'], 200).aligned_pct).toBeNull()
  })
})
