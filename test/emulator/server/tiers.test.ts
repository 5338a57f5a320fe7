import { readFileSync, statSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { B1_ENV, B2_ENV, spawnKvsim, type KvsimProcess } from './spawn-kvsim'
import { completion, getText, longPrompt, request, sample } from './sse-request'

// What the tiers do, seen from outside a real kvsim process: KVBM counters, TTFT from the timing
// truth, real storage IO of the G3 file (/proc/<pid>/io and /proc/diskstats), LoRA and the
// engine-side faults. tiny profile: G1 96 blocks, G2 192, G3 768 of 32 tokens; a ~2,000-token prompt
// takes 63 blocks, so one other prompt evicts it from G1 and three others from G2.

const PROMPT_WORDS = 1000
const procIo = (pid: number): { read_bytes: number; write_bytes: number } => {
  const kv = Object.fromEntries(readFileSync(`/proc/${pid}/io`, 'utf8').trim().split('\n').map((l) => l.split(': ')))
  return { read_bytes: Number(kv.read_bytes), write_bytes: Number(kv.write_bytes) }
}
/** Sectors read and written of the block device holding `dir`, resolved from st_dev major:minor. */
const deviceSectors = (dir: string): { read: number; written: number; device: string } => {
  const dev = statSync(dir).dev
  const major = (dev >> 8) & 0xfff
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00)
  for (const line of readFileSync('/proc/diskstats', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/)
    if (Number(f[0]) === major && Number(f[1]) === minor) return { read: Number(f[5]), written: Number(f[9]), device: f[2] }
  }
  throw new Error(`Expected /proc/diskstats to list ${major}:${minor} (the device of ${dir}), got no such line`)
}
const kvbm = async (k: KvsimProcess) => (await getText(k.info.kvbmMetricsUrl!)).text
const ttftMs = (r: { json: Record<string, any> | null }) =>
  Number(BigInt(r.json!.kvsim_timing.first_token_ns) - BigInt(r.json!.kvsim_timing.received_ns)) / 1e6
const send = (k: KvsimProcess, prompt: string, extra: Record<string, unknown> = {}) =>
  completion(k.info.url, { prompt, max_tokens: 4, ignore_eos: true, ...extra }).then((r) => {
    expect(r.status, r.raw).toBe(200)
    return r
  })
const setFaults = (k: KvsimProcess, spec: string) =>
  request(k.info.url, 'POST', '/admin/faults', undefined, { rawBody: spec, headers: { 'content-type': 'text/plain' } })

let b0: KvsimProcess, b1: KvsimProcess, b2: KvsimProcess, b2p: KvsimProcess
beforeAll(async () => {
  ;[b0, b1, b2, b2p] = await Promise.all([
    spawnKvsim(['--time-scale', '1'], {}),
    spawnKvsim(['--time-scale', '0.1'], B1_ENV),
    spawnKvsim(['--time-scale', '0.1'], B2_ENV),
    spawnKvsim(['--time-scale', '0.1'], { ...B2_ENV, DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER: 'true' }),
  ])
})
afterAll(async () => {
  const codes = await Promise.all([b0, b1, b2, b2p].filter(Boolean).map((k) => k.stop()))
  expect(codes.every((c) => c === 0)).toBe(true)
})

describe('KV reuse and tiers', () => {
  it('serves a repeated long prompt faster the second time (G1 prefix hit)', async () => {
    await send(b0, 'warm up the server')
    const prompt = longPrompt('repeat', PROMPT_WORDS)
    const first = await send(b0, prompt)
    const second = await send(b0, prompt)
    expect(first.json!.usage.prompt_tokens_details.cached_tokens).toBe(0)
    expect(second.json!.usage.prompt_tokens_details.cached_tokens).toBeGreaterThan(1900)
    expect(ttftMs(second)).toBeLessThan(ttftMs(first))
  })

  it('onboards from G2 in B1 after G1 eviction, with matched tokens and no storage IO', async () => {
    const io0 = procIo(b1.info.pid)
    const a = longPrompt('b1a', PROMPT_WORDS)
    await send(b1, a)
    for (const tag of ['b1b', 'b1c']) await send(b1, longPrompt(tag, PROMPT_WORDS))
    const m0 = await kvbm(b1)
    const again = await send(b1, a)
    const m1 = await kvbm(b1)
    expect(sample(m1, 'kvbm_onboard_blocks_h2d')! - sample(m0, 'kvbm_onboard_blocks_h2d')!).toBeGreaterThan(50)
    expect(sample(m1, 'kvbm_matched_tokens')! - sample(m0, 'kvbm_matched_tokens')!).toBeGreaterThan(1600)
    expect(sample(m1, 'kvbm_onboard_blocks_d2d')).toBe(0)
    expect(sample(m1, 'kvbm_offload_blocks_h2d')).toBe(0)
    expect(again.json!.usage.prompt_tokens_details.cached_tokens).toBeGreaterThan(1600)
    const io1 = procIo(b1.info.pid)
    expect(io1.write_bytes - io0.write_bytes).toBe(0)
    expect(io1.read_bytes - io0.read_bytes).toBe(0)
  })

  it('onboards from G3 in B2 after G1 and G2 eviction, with real reads and writes on the cache device', async () => {
    const io0 = procIo(b2.info.pid)
    const dev0 = deviceSectors(b2.dir)
    const a = longPrompt('b2a', PROMPT_WORDS)
    await send(b2, a)
    await send(b2, a) // reuse: passes the frequency >= 2 disk offload filter
    for (const tag of ['b2b', 'b2c', 'b2d', 'b2e', 'b2f']) await send(b2, longPrompt(tag, PROMPT_WORDS))
    const m0 = await kvbm(b2)
    expect(sample(m0, 'kvbm_offload_blocks_h2d')).toBeGreaterThan(50)
    const again = await send(b2, a)
    const m1 = await kvbm(b2)
    const d2d = sample(m1, 'kvbm_onboard_blocks_d2d')! - sample(m0, 'kvbm_onboard_blocks_d2d')!
    expect(d2d).toBeGreaterThan(50)
    expect(sample(m1, 'kvbm_matched_tokens')! - sample(m0, 'kvbm_matched_tokens')!).toBeGreaterThan(1600)
    expect(again.json!.usage.prompt_tokens_details.cached_tokens).toBeGreaterThan(1600)
    const io1 = procIo(b2.info.pid)
    const dev1 = deviceSectors(b2.dir)
    const written = io1.write_bytes - io0.write_bytes
    const read = io1.read_bytes - io0.read_bytes
    // Every onboarded block was a real read of the G3 file; every h2d offload a real write.
    expect(read).toBeGreaterThanOrEqual(d2d * 4096)
    expect(written).toBeGreaterThanOrEqual(sample(m0, 'kvbm_offload_blocks_h2d')! * 4096)
    // The device holding the cache dir saw those bytes (others may add more; one 4 KiB page of
    // slack for an alignment probe the page cache can satisfy).
    expect((dev1.written - dev0.written) * 512).toBeGreaterThanOrEqual(written - 4096)
    expect((dev1.read - dev0.read) * 512).toBeGreaterThanOrEqual(read - 4096)
  })

  it('B0 does no storage IO and serves no KVBM metrics', async () => {
    const io0 = procIo(b0.info.pid)
    for (const tag of ['b0a', 'b0b', 'b0c']) await send(b0, longPrompt(tag, PROMPT_WORDS))
    const io1 = procIo(b0.info.pid)
    expect(io1.write_bytes - io0.write_bytes).toBe(0)
    expect(io1.read_bytes - io0.read_bytes).toBe(0)
    expect(b0.info.kvbmMetricsUrl).toBeNull()
  })

  it('writes first-touch blocks to disk only with the offload filter off', async () => {
    const run = async (k: KvsimProcess, tag: string) => {
      const m0 = await kvbm(k)
      for (const t of ['a', 'b', 'c', 'd', 'e']) await send(k, longPrompt(`${tag}${t}`, PROMPT_WORDS))
      const m1 = await kvbm(k)
      return sample(m1, 'kvbm_offload_blocks_h2d')! - sample(m0, 'kvbm_offload_blocks_h2d')!
    }
    const [filtered, unfiltered] = await Promise.all([run(b2, 'ft'), run(b2p, 'nf')])
    expect(filtered).toBe(0)
    expect(unfiltered).toBeGreaterThan(100)
  })
})

describe('engine faults through the server', () => {
  it('corrupt_disk changes the answer to the same prompt while every counter still counts the hit', async () => {
    const a = longPrompt('corrupt', PROMPT_WORDS)
    const clean = await send(b2p, a, { max_tokens: 12 })
    for (const t of ['x', 'y', 'z', 'w']) await send(b2p, longPrompt(`cevict${t}`, PROMPT_WORDS))
    await setFaults(b2p, 'corrupt_disk:1')
    const m0 = await kvbm(b2p)
    const bad = await send(b2p, a, { max_tokens: 12 })
    const m1 = await kvbm(b2p)
    await setFaults(b2p, '')
    expect(sample(m1, 'kvbm_onboard_blocks_d2d')! - sample(m0, 'kvbm_onboard_blocks_d2d')!).toBeGreaterThan(50)
    expect(sample(m1, 'kvbm_matched_tokens')! - sample(m0, 'kvbm_matched_tokens')!).toBeGreaterThan(1600)
    expect(bad.json!.usage.prompt_tokens_details.cached_tokens).toBeGreaterThan(1600)
    expect(bad.json!.choices[0].text).not.toBe(clean.json!.choices[0].text)
  })

  it('slow_disk raises the latency of a G3 onboard', async () => {
    const onboardTtft = async (tag: string) => {
      const a = longPrompt(tag, PROMPT_WORDS)
      await send(b2p, a)
      for (const t of ['x', 'y', 'z', 'w']) await send(b2p, longPrompt(`${tag}evict${t}`, PROMPT_WORDS))
      return send(b2p, a)
    }
    // Interleaved pairs (clean, slow, clean, slow, …) so a load spike on a busy machine hits both
    // sides alike; the comparison is between the two distributions, not two single figures.
    const fast: number[] = []
    const slow: number[] = []
    for (let i = 0; i < 5; i++) {
      const f = await onboardTtft(`fastdisk${i}`)
      await setFaults(b2p, 'slow_disk:100')
      const s = await onboardTtft(`slowdisk${i}`).finally(() => setFaults(b2p, ''))
      expect(f.json!.usage.prompt_tokens_details.cached_tokens).toBeGreaterThan(1600)
      expect(s.json!.usage.prompt_tokens_details.cached_tokens).toBeGreaterThan(1600)
      fast.push(ttftMs(f))
      slow.push(ttftMs(s))
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
    // Reads run in parallel, each delayed 100 ms: no slow onboard can finish sooner than that.
    expect(Math.min(...slow)).toBeGreaterThanOrEqual(100)
    expect(median(slow), `slow ${slow.join(', ')} vs clean ${fast.join(', ')} ms`).toBeGreaterThan(median(fast))
  })

  it('loads a LoRA adapter cold slower than warm', async () => {
    // Four adapters (the tiny profile's max_loras), each cold once then warm once; medians, so
    // one scheduling hiccup on a busy machine cannot flip the comparison.
    const adapters = ['adapter-010', 'adapter-011', 'adapter-012', 'adapter-013']
    const cold: number[] = []
    const warm: number[] = []
    for (const a of adapters) cold.push(ttftMs(await send(b0, `cold ${a}`, { model: `kvsim/tiny:${a}` })))
    for (const a of adapters) warm.push(ttftMs(await send(b0, `warm ${a}`, { lora: a })))
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
    const stats = (await getText(b0.info.metricsUrl)).text
    expect(sample(stats, 'kvsim_loaded_adapters')).toBe(4)
    expect(median(cold)).toBeGreaterThan(median(warm))
  })
})
