import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TierCounterName, TierCounters } from '../../../helpers/backends/tier-counters'
import { TIER_COUNTER_NAMES, tierCounterDeltas } from '../../../helpers/backends/tier-counters'
import { hasFamily } from '../../../helpers/backends/prom-series'
import type { TieringBackend } from '../../../helpers/backends/tiering-backend'
import { KV_MODE_LABELS, KvModeId, kvModeEnv } from '../../../helpers/config/kv-mode'
import { parsePrometheusText } from '../../../helpers/telemetry/prometheus-parser'
import { TierPlan } from '../../../helpers/tiers/tier-plan'
import { type KvsimProcess, spawnKvsim } from '../../emulator/server/spawn-kvsim'
import { completion, getText, longPrompt } from '../../emulator/server/sse-request'

// The one contract every tiering backend passes (the registry runs it for each, in
// backend-conformance.test.ts):
// 1. static: every mode is supported or says why not; configure() refuses unsupported modes,
//    is deterministic, leaves the plan alone, keeps B0/B1 away from the cache dir and puts B2/B3's
//    disk tier in it; B0/B1 verification forbids disk files held open; an empty scrape normalises
//    to all-unavailable (never 0); per-request cached tokens come from the OpenAI usage field.
// 2. live, against a real kvsim speaking the backend's metric dialect (`--backend <name>`), in B0,
//    B1 and B2 where supported: the mode's required metric families are there, and every tier
//    counter the backend exposes moves by exactly what kvsim really did (its /debug/tiers ground
//    truth), while counters it does not expose stay null. B1 moves nothing on disk.

const PLAN = TierPlan.parse({ host_tier_bytes: 8e9, disk_tier_bytes: 32e9 })
const DISK_ONLY = TierPlan.parse({ host_tier_bytes: 0, disk_tier_bytes: 32e9 })
const CACHE = '/scratch/conformance-kv'
const planFor = (m: KvModeId) => (m === 'B3' ? DISK_ONLY : m === 'B0' ? TierPlan.parse({}) : PLAN)
const DISK_COUNTERS: TierCounterName[] = ['offload_host_to_disk_tokens', 'offload_device_to_disk_tokens', 'onboard_disk_to_device_tokens', 'cached_prompt_tokens_disk']
const PROMPT_WORDS = 1000
/** kv_bytes_per_token of the tiny model spec (configs/models/tiny.yaml), as the harness passes it. */
export const TINY_KV_BYTES_PER_TOKEN = 32768

interface Truth {
  tokens_per_block: number
  kvbm: { offload_blocks_d2h: number; offload_blocks_h2d: number; offload_blocks_d2d: number; onboard_blocks_h2d: number; onboard_blocks_d2d: number; matched_tokens: number }
  prefix: { promptTokens: number; deviceHitTokens: number }
}

/** What each normalised counter must equal, from kvsim's ground truth (deltas). */
const expectedFrom = (a: Truth, b: Truth): Record<TierCounterName, number> => {
  const t = b.tokens_per_block
  const d = (k: keyof Truth['kvbm']) => b.kvbm[k] - a.kvbm[k]
  const device = b.prefix.deviceHitTokens - a.prefix.deviceHitTokens
  return {
    offload_device_to_host_tokens: d('offload_blocks_d2h') * t,
    offload_host_to_disk_tokens: d('offload_blocks_h2d') * t,
    offload_device_to_disk_tokens: d('offload_blocks_d2d') * t,
    onboard_host_to_device_tokens: d('onboard_blocks_h2d') * t,
    onboard_disk_to_device_tokens: d('onboard_blocks_d2d') * t,
    cached_prompt_tokens_device: device,
    cached_prompt_tokens_host: d('onboard_blocks_h2d') * t,
    cached_prompt_tokens_disk: d('onboard_blocks_d2d') * t,
    cached_prompt_tokens_total: device + d('matched_tokens'),
    cached_prompt_tokens_offloaded: d('matched_tokens'),
  }
}

const sendAll = async (k: KvsimProcess, prompts: string[]) => {
  for (const prompt of prompts) {
    const r = await completion(k.info.url, { prompt, max_tokens: 2, ignore_eos: true })
    expect(r.status, r.raw).toBe(200)
  }
}

/**
 * tiny profile (G1 96, G2 192 blocks of 32 tokens; a 1,000-word prompt is ~63 blocks): in B1 two
 * other prompts push A from G1 into G2; in B2 A is used twice (passes the disk filter) and five
 * others push it through G2 into G3. The replay of A then onboards from the lower tier.
 */
const exercise = async (k: KvsimProcess, mode: KvModeId, tag: string): Promise<{ scrapes: [TierScrape, TierScrape] }> => {
  const a = longPrompt(`${tag}a`, PROMPT_WORDS)
  const others = (n: number) => Array.from({ length: n }, (_, i) => longPrompt(`${tag}o${i}`, PROMPT_WORDS))
  const start = await scrape(k)
  if (mode === 'B2') await sendAll(k, [a, a, ...others(5), a])
  else await sendAll(k, [a, a, ...others(2), a])
  return { scrapes: [start, await scrape(k)] }
}

interface TierScrape {
  text: string
  truth: Truth
}
const scrape = async (k: KvsimProcess): Promise<TierScrape> => ({
  text: (await getText(k.info.kvbmMetricsUrl!)).text,
  truth: JSON.parse((await getText(`${k.info.url}/debug/tiers`)).text) as Truth,
})

const stringsIn = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(stringsIn) : v && typeof v === 'object' ? Object.values(v).flatMap(stringsIn) : []
const namesCacheDir = (v: unknown) => stringsIn(v).some((s) => s === CACHE || s.includes(`${CACHE}/`) || s.endsWith(CACHE) || s.includes(JSON.stringify(CACHE)))

export const describeBackendConformance = (label: string, make: () => TieringBackend, opts: { liveModes?: KvModeId[] } = {}) => {
  const backend = make()
  describe(`tiering backend conformance: ${label}`, () => {
    it('says for every mode whether it is supported, with a reason when not', () => {
      for (const m of KvModeId.options) {
        const s = backend.support(m)
        if (!s.supported) expect(s.reason.length, `${m} reason`).toBeGreaterThan(20)
      }
      expect(backend.support('B0').supported).toBe(true)
    })

    it('refuses unsupported modes with an Expected … got … error and configures supported ones deterministically', () => {
      for (const m of KvModeId.options) {
        const ctx = { cacheDir: CACHE, metricsPort: 6880 }
        const plan = planFor(m)
        if (!backend.support(m).supported) {
          // The mode is named by its label (B2') or its id (B2p).
          expect(() => backend.configure(m, plan, ctx)).toThrow(new RegExp(`Expected .* got (${KV_MODE_LABELS[m]}|${m})`))
          continue
        }
        const frozen = structuredClone(plan)
        const c = backend.configure(m, plan, ctx)
        expect(plan).toEqual(frozen)
        expect(backend.configure(m, plan, ctx)).toEqual(c)
        for (const [k, v] of Object.entries(c.env)) expect(v === undefined || typeof v === 'string', `env ${k}`).toBe(true)
        for (const a of c.args) expect(typeof a).toBe('string')
        expect(JSON.parse(JSON.stringify(c.kvTransferConfig))).toEqual(c.kvTransferConfig)
        for (const f of c.files) expect(f.name).toMatch(/^[\w.-]+$/)
        const disk = m === 'B2' || m === 'B2p' || m === 'B3'
        expect(namesCacheDir(c), `${m} ${disk ? 'must' : 'must not'} name the cache dir`).toBe(disk)
      }
    })

    it('forbids disk-tier files held open in B0 and B1, and lists metric families as strings', () => {
      for (const m of KvModeId.options) {
        const v = backend.verification(m)
        for (const f of v.requiredMetricFamilies) expect(f).toMatch(/^[a-z_:][a-z0-9_:]*$/i)
        if (m === 'B0' || m === 'B1') expect(v.diskDirHeldOpen, m).toBe(false)
      }
    })

    it('normalises an empty scrape to unavailable counters, never 0', () => {
      const c = backend.normalise(parsePrometheusText(''))
      expect(Object.keys(c).sort()).toEqual([...TIER_COUNTER_NAMES].sort())
      for (const n of TIER_COUNTER_NAMES) expect(c[n], n).toBeNull()
    })

    it('reads per-request cached tokens from the OpenAI usage field and null when absent', () => {
      expect(backend.requestCachedTokens({ usage: { prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 7 } } })).toBe(7)
      expect(backend.requestCachedTokens({ usage: { prompt_tokens: 10 } })).toBeNull()
    })

    const live = (opts.liveModes ?? ['B0', 'B1', 'B2']).filter((m) => backend.support(m).supported)
    describe.each(live)(`against kvsim speaking the ${backend.name} dialect in %s`, (mode) => {
      let k: KvsimProcess
      beforeAll(async () => {
        const env = Object.fromEntries(Object.entries(kvModeEnv({ id: mode }, { cacheDir: '', metricsPort: 0 })).filter(([, v]) => v !== undefined)) as Record<string, string>
        delete env.DYN_KVBM_DISK_CACHE_DIR
        k = await spawnKvsim(['--backend', backend.name], env)
        expect(k.info.backend).toBe(backend.name)
      })
      afterAll(async () => {
        await k?.stop()
      })

      it('exposes the metric families the mode requires, and every exposed tier counter equals what kvsim did', async () => {
        if (backend.name === 'kvbm' && mode === 'B0') {
          // KVBM is not loaded in B0: no tier endpoint at all.
          expect(k.info.kvbmMetricsUrl).toBeNull()
          return
        }
        const { scrapes } = await exercise(k, mode, `${backend.name}-${mode}`)
        const [s0, s1] = scrapes.map((s) => parsePrometheusText(s.text))
        expect(s1!.errors).toEqual([])
        for (const f of backend.verification(mode).requiredMetricFamilies) expect(hasFamily(s1!, f), `${f} in ${mode}`).toBe(true)
        const { deltas } = tierCounterDeltas(backend.normalise(s0!), backend.normalise(s1!))
        const want = expectedFrom(scrapes[0].truth, scrapes[1].truth)
        // The workload really reached the tier under test, or the comparison proves nothing.
        if (mode === 'B1') expect(want.onboard_host_to_device_tokens).toBeGreaterThan(0)
        if (mode === 'B2') expect(want.onboard_disk_to_device_tokens).toBeGreaterThan(0)
        expect(want.cached_prompt_tokens_device).toBeGreaterThan(0)
        const exposed = TIER_COUNTER_NAMES.filter((n) => deltas[n] !== null)
        expect(exposed.length, 'a backend that exposes no tier counter proves nothing').toBeGreaterThan(0)
        const got: Partial<TierCounters> = {}
        const exp: Partial<TierCounters> = {}
        for (const n of exposed) {
          got[n] = deltas[n]
          exp[n] = want[n]
        }
        expect(got).toEqual(exp)
        if (mode === 'B1') for (const n of DISK_COUNTERS) expect(deltas[n] ?? 0, n).toBe(0)
      })
    })
  })
}
