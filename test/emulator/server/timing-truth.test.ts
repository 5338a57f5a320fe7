import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseTimingTruth } from '../../../emulator/engine/timing-truth-engine'
import { runKvsimExpectingExit, spawnKvsim, type KvsimProcess } from './spawn-kvsim'
import { streamCompletion } from './sse-request'

// kvsim --timing-truth: fixed token times and a log of every write, the ground truth bench:client
// compares the client's timestamps with. Checked for order and causality, never for speed.

let k: KvsimProcess
const dir = mkdtempSync(path.join(os.tmpdir(), 'kvsim-truth-'))
const log = path.join(dir, 'writes.jsonl')
beforeAll(async () => {
  k = await spawnKvsim(['--timing-truth', '20,5,6', '--write-log', log], {}, { dir })
})
afterAll(async () => {
  expect(await k.stop()).toBe(0)
  rmSync(dir, { recursive: true, force: true })
})

describe('kvsim timing-truth mode', () => {
  it('streams the configured number of tokens (capped by max_tokens) and logs one write time per token, in order, after receipt', async () => {
    const r = await streamCompletion(k.info.url, { prompt: 'Tell me about storage tiers.', max_tokens: 64, ignore_eos: true })
    expect(r.done).toBe(true)
    const tokens = r.chunks.filter((c) => c.choices?.length && c.choices[0].finish_reason === null)
    expect(tokens.length).toBe(6)
    expect(r.usage).toMatchObject({ completion_tokens: 6 })
    const short = await streamCompletion(k.info.url, { prompt: 'Short.', max_tokens: 2, ignore_eos: true })
    expect(short.usage).toMatchObject({ completion_tokens: 2 })
    await new Promise((res) => setTimeout(res, 200))
    const entries = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; received_ns: string; writes_ns: string[] })
    const e = entries.find((x) => x.id === tokens[0].id)!
    expect(e.writes_ns).toHaveLength(6)
    const w = e.writes_ns.map(BigInt)
    const received = BigInt(e.received_ns)
    // No token is written before it is due (first at +20 ms, then every 5 ms, relative to receipt).
    w.forEach((t, i) => expect(t - received >= BigInt((20 + 5 * i) * 1e6) - 1_000_000n).toBe(true))
    for (let i = 1; i < w.length; i++) expect(w[i] > w[i - 1]).toBe(true)
    // The usage chunk's first_token_ns is taken after the first write the log records.
    expect(BigInt(r.timing!.first_token_ns) >= w[0]).toBe(true)
    expect(entries.find((x) => x.id === short.chunks[0].id)?.writes_ns).toHaveLength(2)
  })
})

describe('--timing-truth validation', () => {
  it('parses first_ms,itl_ms,tokens and rejects anything else naming the flag', async () => {
    expect(parseTimingTruth('50,10,16')).toEqual({ firstTokenMs: 50, itlMs: 10, tokens: 16 })
    for (const bad of ['50,10', '50,10,0', 'a,b,c', '50,-1,16', '50,10,1.5']) expect(() => parseTimingTruth(bad)).toThrow(/Expected --timing-truth as <first_token_ms>,<itl_ms>,<tokens>/)
    const r = await runKvsimExpectingExit(['--profile', 'tiny', '--timing-truth', 'fast'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Expected --timing-truth')
  })
})
