import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CreateEngineOptions, createEngine, tierBlocksFromEnv } from '../../../emulator/engine/create-engine'
import type { Engine, FinishInfo, GenerateRequest, KvbmCounters } from '../../../emulator/engine/engine-types'
import { getProfile } from '../../../emulator/profiles'

// Real engines on the tiny profile: G1 = 96 blocks of 32 tokens, so two 2,000-token prompts evict.

interface Result {
  text: string
  ttftMs: number
  tokens: number
  info: FinishInfo | null
  error: { code: string; message: string } | null
}

const prompt = (base: number, n = 2000) => Array.from({ length: n }, (_, i) => base + i)

const request = (promptTokens: number[], over: Partial<GenerateRequest> = {}): GenerateRequest => ({
  id: 'req',
  promptTokens,
  maxTokens: 12,
  ignoreEos: true,
  temperature: 0,
  topP: 1,
  seed: null,
  stop: [],
  adapter: null,
  receivedNs: process.hrtime.bigint(),
  needle: null,
  ...over,
})

const run = (engine: Engine, req: GenerateRequest): Promise<Result> =>
  new Promise((resolve) => {
    const t0 = process.hrtime.bigint()
    const r: Result = { text: '', ttftMs: 0, tokens: 0, info: null, error: null }
    engine.submit(req, {
      onToken: (text) => {
        if (r.tokens++ === 0) r.ttftMs = Number(process.hrtime.bigint() - t0) / 1e6
        r.text += text
      },
      onDone: (info) => resolve({ ...r, info }),
      onError: (error) => resolve({ ...r, error }),
    })
  })

const diff = (a: KvbmCounters, b: KvbmCounters) =>
  Object.fromEntries(Object.keys(a).map((k) => [k, b[k as keyof KvbmCounters] - a[k as keyof KvbmCounters]]))

describe('createEngine', () => {
  let dir: string
  const engines: Engine[] = []
  const start = async (env: Record<string, string>, over: Partial<CreateEngineOptions> = {}) => {
    const e = await createEngine({
      profile: getProfile('tiny'),
      env: { KVSIM_LORA_COUNT: '4', ...env },
      cacheDir: join(dir, 'cache'),
      adaptersDir: join(dir, 'adapters'),
      timeScale: 0.2,
      ioScale: 16,
      ...over,
    })
    engines.push(e)
    return e
  }
  const B1 = { DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS: '256' }
  const B2 = { DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS: '64', DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS: '512' }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kvsim-engine-'))
  })
  afterAll(async () => {
    for (const e of engines) await e.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('serves a repeated long prompt faster the second time from G1', async () => {
    const e = await start({}, { timeScale: 1 })
    const first = await run(e, request(prompt(1000, 2800)))
    const second = await run(e, request(prompt(1000, 2800)))
    expect(first.info?.cachedTokens).toBe(0)
    // Every full block but the one holding the last prompt token, which is always recomputed.
    expect(second.info?.cachedTokens).toBe(2784)
    expect(second.ttftMs).toBeLessThan(first.ttftMs / 2)
    expect(e.kvbmCounters().matched_tokens).toBe(0)
  })

  it('onboards from G2 in B1 and from G3 in B2 after G1 eviction, with matched_tokens > 0', async () => {
    const b1 = await start(B1)
    const b2 = await start(B2)
    for (const e of [b1, b2]) {
      await run(e, request(prompt(1000)))
      await run(e, request(prompt(1000)))
      await run(e, request(prompt(50_000)))
      const before = e.kvbmCounters()
      const back = await run(e, request(prompt(1000)))
      const d = diff(before, e.kvbmCounters())
      expect(back.info?.cachedTokens).toBeGreaterThan(0)
      expect(d.matched_tokens).toBeGreaterThan(0)
      if (e === b1) {
        expect(d.onboard_blocks_h2d).toBeGreaterThan(0)
        expect(d.onboard_blocks_d2d).toBe(0)
      } else {
        expect(d.onboard_blocks_d2d).toBeGreaterThan(0)
        expect(e.stats().lastOnboardMs).not.toBeNull()
        expect(e.stats().diskHitRate).toBeGreaterThan(0)
      }
    }
    expect(b1.g3.path).toBeNull()
    expect(b2.g3.oDirect).toBe(true)
    expect(b2.kvbmCounters().offload_blocks_h2d).toBeGreaterThan(0)
  })

  it('writes the first touch to disk only with the filter off (B2p) and device→disk in B3', async () => {
    const b2 = await start(B2)
    const b2p = await start({ ...B2, DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER: 'true' })
    const b3 = await start({ DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS: '512' })
    for (const e of [b2, b2p, b3]) await run(e, request(prompt(4000)))
    expect(b2.kvbmCounters().offload_blocks_h2d).toBe(0)
    expect(b2p.kvbmCounters().offload_blocks_h2d).toBe(62)
    expect(b3.kvbmCounters().offload_blocks_d2d).toBe(62)
    expect(b3.kvbmCounters().offload_blocks_d2h).toBe(0)
    await run(b3, request(prompt(90_000)))
    const back = await run(b3, request(prompt(4000)))
    expect(back.info?.cachedTokens).toBeGreaterThan(0)
    expect(b3.kvbmCounters().onboard_blocks_d2d).toBeGreaterThan(0)
    expect(b3.kvbmCounters().onboard_blocks_h2d).toBe(0)
  })

  it('sizes tiers from DYN_KVBM_* with block overrides winning, and rejects an unknown eviction policy', async () => {
    const p = getProfile('llama31-8b-fp8')
    expect(tierBlocksFromEnv(p, { DYN_KVBM_CPU_CACHE_GB: '8' }, 'B1').g2).toBe(Math.floor(8e9 / (4 * 2 ** 20)))
    expect(tierBlocksFromEnv(p, { DYN_KVBM_CPU_CACHE_GB: '8', DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS: '77' }, 'B1').g2).toBe(77)
    expect(tierBlocksFromEnv(p, { DYN_KVBM_CPU_CACHE_GB: '8', DYN_KVBM_DISK_CACHE_GB: '32' }, 'B1').g3).toBe(0)
    expect(tierBlocksFromEnv(getProfile('tiny'), { DYN_KVBM_DISK_CACHE_GB: '32' }, 'B3').g3).toBe(768)
    await expect(start({ KVSIM_EVICTION_POLICY: 'mru' })).rejects.toThrow(/Expected KVSIM_EVICTION_POLICY to be one of lru, lfu got "mru"/)
    const lfu = await start({ KVSIM_EVICTION_POLICY: 'lfu' })
    expect((await run(lfu, request(prompt(10, 100)))).info?.finishReason).toBe('length')
  })

  it('gives identical text for identical requests across B0, B1 and B2', async () => {
    const texts: string[][] = []
    const counters: KvbmCounters[] = []
    for (const env of [{}, B1, B2]) {
      const e = await start(env)
      const out: string[] = []
      for (const base of [7000, 7000, 60_000, 7000]) out.push((await run(e, request(prompt(base), { maxTokens: 24 }))).text)
      texts.push(out)
      counters.push(e.kvbmCounters())
    }
    // The last request really came back from G2 (B1) and G3 (B2), not from G1.
    expect(counters[1].onboard_blocks_h2d).toBeGreaterThan(0)
    expect(counters[2].onboard_blocks_d2d).toBeGreaterThan(0)
    expect(texts[0][0]).toBe(texts[0][1])
    expect(texts[0][0]).not.toBe(texts[0][2])
    expect(texts[1]).toEqual(texts[0])
    expect(texts[2]).toEqual(texts[0])
  })

  it('changes the text but not the counters when corrupt_disk flips onboarded G3 blocks', async () => {
    const outcomes: { text: string; counters: KvbmCounters }[] = []
    for (const corrupt of [0, 1]) {
      const e = await start(B2)
      for (const base of [3000, 3000, 80_000]) await run(e, request(prompt(base)))
      e.faults.corruptDisk = corrupt
      const r = await run(e, request(prompt(3000), { maxTokens: 24 }))
      outcomes.push({ text: r.text, counters: e.kvbmCounters() })
    }
    expect(outcomes[0].counters.onboard_blocks_d2d).toBeGreaterThan(0)
    expect(outcomes[1].counters).toEqual(outcomes[0].counters)
    expect(outcomes[1].text).not.toBe(outcomes[0].text)
  })

  it('answers the needle only while its block is intact', async () => {
    const needle = { answer: 'PELICAN', tokenOffset: 100 }
    const e = await start(B2)
    for (const base of [3000, 3000, 80_000]) await run(e, request(prompt(base)))
    const ok = await run(e, request(prompt(3000), { needle }))
    expect(ok.text.startsWith('PELICAN')).toBe(true)
    const e2 = await start(B2)
    for (const base of [3000, 3000, 80_000]) await run(e2, request(prompt(base)))
    e2.faults.corruptDisk = 1
    const bad = await run(e2, request(prompt(3000), { needle }))
    expect(e2.kvbmCounters().onboard_blocks_d2d).toBeGreaterThan(0)
    expect(bad.text.startsWith('PELICAN')).toBe(false)
  })

  it('loads a LoRA adapter cold from its file and serves it warm afterwards', async () => {
    const big = { ...getProfile('tiny'), lora: { rank: 16, layers: 16, dims: 4096 * 2, bytesPerParam: 2, maxLoras: 2 } }
    const e = await start({}, { profile: big, ioScale: 1, timeScale: 1 })
    const files = await readdir(join(dir, 'adapters'))
    expect(files).toEqual(expect.arrayContaining(['adapter-000', 'adapter-003']))
    const cold = await run(e, request(prompt(10, 40), { adapter: 'adapter-002' }))
    const warm = await run(e, request(prompt(20, 40), { adapter: 'adapter-002' }))
    expect(e.stats().loadedAdapters).toEqual(['adapter-002'])
    expect(cold.ttftMs).toBeGreaterThan(warm.ttftMs)
    // KV computed under an adapter is not the base model's: no sharing, different answer.
    const base = await run(e, request(prompt(40, 200)))
    const tuned = await run(e, request(prompt(40, 200), { adapter: 'adapter-002' }))
    expect(tuned.info?.cachedTokens).toBe(0)
    expect(tuned.text).not.toBe(base.text)
    const missing = await run(e, request(prompt(30, 40), { adapter: 'adapter-999' }))
    expect(missing.error?.code).toBe('adapter_not_found')
  })

  it('honours stop strings and ends without ignore_eos', async () => {
    const e = await start({})
    const free = await run(e, request(prompt(5, 100), { maxTokens: 500, ignoreEos: false }))
    expect(free.info?.finishReason).toBe('stop')
    expect(free.info?.completionTokens).toBeGreaterThanOrEqual(16)
    expect(free.info?.completionTokens).toBeLessThan(500)
    const full = await run(e, request(prompt(6, 100), { maxTokens: 30 }))
    const word = full.text.split(' ').filter(Boolean)[5]
    const stopped = await run(e, request(prompt(6, 100), { maxTokens: 30, stop: [` ${word}`] }))
    expect(stopped.info?.finishReason).toBe('stop')
    expect(full.text.startsWith(stopped.text)).toBe(true)
    expect(stopped.text).not.toContain(` ${word}`)
  })

  it('refuses prompts over max input tokens and stalls a faulted request until it is cancelled', async () => {
    const e = await start({})
    const big = await run(e, request(prompt(0, 8193)))
    expect(big.error?.code).toBe('prompt_too_long')
    expect(big.error?.message).toMatch(/8192.*8193/)
    e.faults.stall = 1
    let tokens = 0
    const h = e.submit(request(prompt(0, 64)), { onToken: () => tokens++, onDone: () => tokens++, onError: () => tokens++ })
    await new Promise((r) => setTimeout(r, 100))
    expect(tokens).toBe(0)
    expect(e.stats().inflight).toBe(1)
    h.cancel()
    expect(e.stats().inflight).toBe(0)
    e.faults.stall = 0
    expect((await run(e, request(prompt(0, 64)))).info?.finishReason).toBe('length')
  })

  it('keeps serving other requests when one sink throws', async () => {
    const e = await start({})
    let error = ''
    e.submit(request(prompt(0, 64)), {
      onToken: () => {
        throw new Error('socket gone')
      },
      onDone: () => undefined,
      onError: (err) => {
        error = err.message
      },
    })
    const other = await run(e, request(prompt(1, 64)))
    expect(other.info?.completionTokens).toBe(12)
    expect(error).toMatch(/socket gone/)
    expect(e.stats().inflight).toBe(0)
  })

  it('fails in-flight requests on close and leaves no G3 file in the directory or open', async () => {
    const cacheDir = join(dir, 'close-cache')
    const e = await createEngine({ profile: getProfile('tiny'), env: { ...B2, KVSIM_LORA_COUNT: '1' }, cacheDir, adaptersDir: join(dir, 'adapters'), timeScale: 1, ioScale: 16 })
    expect(e.g3.path).toMatch(/kvsim-disk-cache-/)
    expect(await readdir(cacheDir)).toEqual([])
    const fds = async () => Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')))
    expect(await fds()).toContain(`${e.g3.path} (deleted)`)
    const pending = run(e, request(prompt(0, 64), { maxTokens: 10_000 }))
    await new Promise((r) => setTimeout(r, 20))
    await e.close()
    expect((await pending).error?.code).toBe('engine_closed')
    expect((await fds()).some((t) => t.startsWith(e.g3.path!))).toBe(false)
    expect(await readdir(cacheDir)).toEqual([])
  })
})

describe('emulator-only sizing knobs', () => {
  const made: Engine[] = []
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kvsim-knobs-'))
  })
  afterAll(async () => {
    for (const e of made) await e.close()
    await rm(dir, { recursive: true, force: true })
  })
  const make = async (env: Record<string, string>) => {
    const e = await createEngine({
      profile: getProfile('tiny'),
      env: { KVSIM_LORA_COUNT: '1', ...env },
      cacheDir: join(dir, 'cache'),
      adaptersDir: join(dir, 'adapters'),
      timeScale: 0.05,
      ioScale: 16,
    })
    made.push(e)
    return e
  }

  it('KVSIM_G1_OVERRIDE_NUM_BLOCKS resizes the device tier', () => {
    expect(tierBlocksFromEnv(getProfile('tiny'), { KVSIM_G1_OVERRIDE_NUM_BLOCKS: '1400' }, 'B0').g1).toBe(1400)
    expect(tierBlocksFromEnv(getProfile('tiny'), {}, 'B0').g1).toBe(96)
  })

  it('KVSIM_MAX_INPUT_TOKENS with a large G1 serves a 32k-token prompt the default engine refuses', async () => {
    const small = await make({})
    const refused = await run(small, request(prompt(500, 32_768)))
    expect(refused.error?.code).toBe('prompt_too_long')
    const long = await make({ KVSIM_MAX_INPUT_TOKENS: '40960', KVSIM_G1_OVERRIDE_NUM_BLOCKS: '1400' })
    expect(long.maxInputTokens).toBe(40960)
    const served = await run(long, request(prompt(500, 32_768)))
    expect(served.error).toBeNull()
    expect(served.info?.promptTokens).toBe(32_768)
  })
})
