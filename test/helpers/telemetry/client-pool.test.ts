import { describe, expect, it } from 'vitest'
import { createClientPoolCollector } from '../../../helpers/telemetry/client-pool'
import { conformanceClock, testCollector } from './collector-conformance'

let running = 0
testCollector('client_pool', (a) => createClientPoolCollector({ ...a, pool: () => ({ queued: 0, pending: 1, running }) }), { expectAvailable: true })
testCollector('client_pool without a provider', (a) => createClientPoolCollector({ ...a, pool: null }), { expectAvailable: false })

describe('client pool collector', () => {
  it('samples what the provider reports at each tick', async () => {
    const c = createClientPoolCollector({ clock: conformanceClock(), cadenceMs: 50, pool: () => ({ queued: 2, pending: 1, running: ++running }) })
    await c.start()
    await new Promise((r) => setTimeout(r, 300))
    const { samples } = await c.stop()
    expect(samples.length).toBeGreaterThan(2)
    expect(samples.every((s) => s.queued === 2)).toBe(true)
    expect(samples.at(-1)!.running).toBeGreaterThan(samples[0].running)
  })
})
