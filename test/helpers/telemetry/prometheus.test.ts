import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrometheusCollector } from '../../../helpers/telemetry/prometheus'
import { conformanceClock, testCollector } from './collector-conformance'
import { type PromTestServer, startPromServer } from './prom-test-server'

let srv: PromTestServer
let n = 0
const exposition = () => `# TYPE kvbm_onboard_blocks_d2d counter\nkvbm_onboard_blocks_d2d ${n}\n# TYPE kvbm_disk_cache_hit_rate gauge\nkvbm_disk_cache_hit_rate 0.5\n# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 2\nh_count 1\n`
srv = await startPromServer(exposition())
afterAll(() => srv.close())

testCollector('prometheus (live)', (a) => createPrometheusCollector({ ...a, name: 'kvbm', url: srv.url }), { expectAvailable: true })
testCollector('prometheus without a URL', (a) => createPrometheusCollector({ ...a, name: 'kvbm', url: null }), { expectAvailable: false })
testCollector('prometheus on a closed port', (a) => createPrometheusCollector({ ...a, name: 'kvbm', url: 'http://127.0.0.1:1/metrics' }), { expectAvailable: false })

describe('Prometheus collector', () => {
  beforeAll(() => {
    n = 0
  })

  it('scrapes a live endpoint at the cadence and records values without histogram buckets', async () => {
    const c = createPrometheusCollector({ clock: conformanceClock(), cadenceMs: 100, name: 'kvbm', url: srv.url })
    await c.start()
    for (let i = 1; i <= 5; i++) {
      n = i * 10
      srv.set(exposition())
      await new Promise((r) => setTimeout(r, 100))
    }
    const { samples } = await c.stop()
    expect(samples.length).toBeGreaterThanOrEqual(3)
    const vals = samples.map((s) => s.values.kvbm_onboard_blocks_d2d)
    for (let i = 1; i < vals.length; i++) expect(vals[i]).toBeGreaterThanOrEqual(vals[i - 1])
    expect(vals.at(-1)).toBeGreaterThan(vals[0])
    expect(samples[0].values).toHaveProperty('h_sum', 2)
    expect(Object.keys(samples[0].values).some((k) => k.includes('_bucket'))).toBe(false)
    expect(samples.every((s) => s.up === 1)).toBe(true)
  })

  it('records a failing scrape as up = 0 instead of stopping', async () => {
    const c = createPrometheusCollector({ clock: conformanceClock(), cadenceMs: 100, name: 'kvbm', url: srv.url })
    await c.start()
    srv.setStatus(503)
    await new Promise((r) => setTimeout(r, 350))
    srv.setStatus(200)
    await new Promise((r) => setTimeout(r, 250))
    const { samples } = await c.stop()
    expect(samples.some((s) => s.up === 0)).toBe(true)
    expect(samples.at(-1)!.up).toBe(1)
  })

  it('gives the parsed families of one scrape for phase boundaries', async () => {
    const c = createPrometheusCollector({ clock: conformanceClock(), name: 'kvbm', url: srv.url })
    const s = await c.scrape()
    expect(s.ok).toBe(true)
    expect(s.parsed!.families.get('kvbm_onboard_blocks_d2d')!.type).toBe('counter')
    expect(s.raw).toContain('kvbm_disk_cache_hit_rate 0.5')
  })
})
