import { describe, expect, it } from 'vitest'
import type { Collector, Sample, TelemetryClock } from '../../../helpers/telemetry/collector'

// One contract every collector passes: availability never throws (a reason when unavailable),
// start/stop are idempotent, periodic collectors sample at the cadence on a monotonic clock,
// snapshots keep one shape, and missing values are null, never 0 or undefined.
export interface ConformanceFactoryArgs {
  clock: TelemetryClock
  cadenceMs: number
  onSample: (s: Sample) => void
}

export interface ConformanceOptions {
  /** Whether this collector is expected to be available on this machine. */
  expectAvailable: boolean
  /** Samples at the cadence (false for before/after or log-only collectors). @default true */
  periodic?: boolean
  /** @default 100 */
  cadenceMs?: number
  /** How long to let it run. @default 8 cadences */
  runMs?: number
}

export const conformanceClock = (): TelemetryClock => {
  const t0 = performance.now()
  return { nowMs: () => performance.now() - t0, wallMs: () => Date.now() }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const testCollector = (label: string, factory: (a: ConformanceFactoryArgs) => Collector<Sample>, opts: ConformanceOptions) => {
  const cadenceMs = opts.cadenceMs ?? 100
  const periodic = opts.periodic ?? true
  const make = () => {
    const seen: Sample[] = []
    const c = factory({ clock: conformanceClock(), cadenceMs, onSample: (s) => seen.push(s) })
    return { c, seen }
  }

  describe(`${label} conforms to the collector contract`, () => {
    it('reports availability as a boolean, with a reason when unavailable', async () => {
      const { c } = make()
      const a = await c.available()
      expect(a.available).toBe(opts.expectAvailable)
      if (!a.available) expect(a.reason, 'unavailable collectors say why').toMatch(/\S{8,}/)
    })

    it('treats a second start and a second stop as no-ops', async () => {
      const { c, seen } = make()
      await c.start()
      await c.start()
      await sleep(cadenceMs * 3)
      const s1 = await c.stop()
      const n = seen.length
      await sleep(cadenceMs * 2)
      const s2 = await c.stop()
      expect(s2).toBe(s1)
      expect(seen.length, 'no samples after stop').toBe(n)
      expect(s1.collector).toBe(c.name)
    })

    if (periodic && opts.expectAvailable) {
      it('samples at the cadence with monotonic t_ms and wall_ms on every sample', async () => {
        const { c, seen } = make()
        await c.start()
        await sleep(opts.runMs ?? cadenceMs * 8)
        const series = await c.stop()
        expect(series.samples.length).toBeGreaterThanOrEqual(4)
        expect(seen.length).toBe(series.samples.length)
        const ts = series.samples.map((s) => s.t_ms)
        for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1])
        const gaps = ts.slice(1).map((t, i) => t - ts[i]).sort((a, b) => a - b)
        const median = gaps[Math.floor(gaps.length / 2)]
        expect(median).toBeGreaterThan(cadenceMs * 0.5)
        expect(median).toBeLessThan(cadenceMs * 1.6)
        for (const s of series.samples) expect(Math.abs(s.wall_ms - Date.now())).toBeLessThan(60_000)
        expect(series.jitter_ms.length).toBeGreaterThanOrEqual(series.samples.length)
      })
    }

    it('returns snapshots of one stable shape with numbers or null, never undefined or NaN', async () => {
      const { c } = make()
      const a = await c.snapshot()
      const b = await c.snapshot()
      expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort())
      for (const [k, v] of Object.entries(b)) {
        expect(v === null || (typeof v === 'number' && !Number.isNaN(v)), `${k} = ${v}`).toBe(true)
      }
      if (!opts.expectAvailable) for (const v of Object.values(a)) expect(v).toBeNull()
    })

    if (!opts.expectAvailable) {
      it('starts, stops and snapshots without throwing while unavailable, producing no samples', async () => {
        const { c, seen } = make()
        await c.start()
        await sleep(cadenceMs * 2)
        const s = await c.stop()
        expect(seen.length).toBe(0)
        expect(s.samples).toEqual([])
      })
    }
  })
}
