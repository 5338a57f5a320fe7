import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { KvModeId } from '../../../helpers/config/kv-mode'
import type { Target } from '../../../helpers/target/target'

// One conformance suite every Target driver passes (unstorage's testDriver pattern): start/attach,
// three-fact readiness, mode application with verification, info, and a stop that reaps what the
// driver started.

export interface TargetConformanceOptions {
  name: string
  create: () => Promise<Target> | Target
  /** Modes the driver can put the stack in (external: only its declared mode). */
  modes: KvModeId[]
  /** A mode the driver must refuse (external: anything but the declared mode). */
  refusedMode?: KvModeId
  /** The driver owns processes that must be gone after stop(). */
  ownsProcesses: boolean
  /**
   * Whether non-B0 modes expose a KVBM (tier-metrics) endpoint. @default true. 'every-mode': the
   * server's own /metrics carries its tier counters in every mode, B0 included (llama.cpp's
   * llamacpp:prompt_tokens_cached_total, read in the llamacpp dialect).
   */
  kvbmEndpoint?: boolean | 'every-mode'
  /** Extra cleanup after the suite (e.g. a stack the test started for an attach-only driver). */
  cleanup?: () => Promise<void>
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export const testTarget = (o: TargetConformanceOptions) => {
  describe(`Target conformance: ${o.name}`, () => {
    let target: Target
    const seenPids = new Set<number>()
    beforeAll(async () => {
      target = await o.create()
    })
    afterAll(async () => {
      await target?.stop()
      await o.cleanup?.()
    })

    test('info before start is an error that says what to do', () => {
      expect(() => target.info()).toThrow(/Expected .* start/)
    })

    test('start returns a reachable base URL and a served model', async () => {
      const info = await target.start()
      expect(info.kind).toBe(target.kind)
      expect(info.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(info.model.length).toBeGreaterThan(0)
      info.pids.forEach((p) => seenPids.add(p))
    })

    for (const mode of o.modes)
      test(`applying ${mode} leaves a ready stack that reports ${mode}`, async () => {
        const info = await target.applyMode({ id: mode, cpuCacheOverrideNumBlocks: 64, diskCacheOverrideNumBlocks: 128 })
        info.pids.forEach((p) => seenPids.add(p))
        expect(info.mode).toBe(mode)
        const r = await target.ready({ timeoutMs: 30_000 })
        expect(r.ready).toBe(true)
        expect(r.models).toContain(info.model)
        expect(r.probe.ok).toBe(true)
        expect(info.modeEvidence.length).toBeGreaterThan(0)
        if (o.ownsProcesses) expect(info.modeVerified).toBe(true)
        if (o.kvbmEndpoint === 'every-mode') expect(info.kvbmMetricsUrl).toMatch(/\/metrics$/)
        else if (mode === 'B0' || o.kvbmEndpoint === false) expect(info.kvbmMetricsUrl).toBeNull()
        else expect(info.kvbmMetricsUrl).toMatch(/\/metrics$/)
      })

    if (o.refusedMode)
      test(`applying ${o.refusedMode} is refused with a message naming both modes`, async () => {
        await expect(target.applyMode({ id: o.refusedMode! })).rejects.toThrow(new RegExp(o.refusedMode!))
      })

    test('stop reaps every process the driver started', async () => {
      await target.stop()
      if (o.ownsProcesses) {
        expect(seenPids.size).toBeGreaterThan(0)
        for (const pid of seenPids) expect(alive(pid), `pid ${pid} still alive`).toBe(false)
      }
    })
  })
}
