import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { traceAnalyzeCommand } from '../../../helpers/cli/trace-analyze-command'
import { runCli } from '../../../helpers/cli/tierbench-cli'
import { mooncakeJsonl, syntheticTrace } from '../../../helpers/trace/synthetic-trace'

const dir = mkdtempSync(join(tmpdir(), 'tierbench-trace-analyze-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const capture = () => {
  const out: string[] = []
  const err: string[] = []
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err }
}

describe('tierbench trace-analyze', () => {
  test('prints the ideal ratio, the LRU curve, reuse distances and tier predictions, and writes CSV and charts', async () => {
    const file = join(dir, 'synthetic.jsonl')
    writeFileSync(file, mooncakeJsonl(syntheticTrace({ rows: 500, seed: 4 })))
    const c = capture()
    const code = await runCli(['trace-analyze', file, '--profile', 'tiny', '--out', join(dir, 'out')], c.io)
    expect(c.err).toEqual([])
    expect(code).toBe(0)
    const text = c.out.join('\n')
    expect(text).toMatch(/trace: 500 rows, \d+ block accesses/)
    expect(text).toMatch(/ideal \(infinite cache\): \d+\.\d % of blocks/)
    expect(text).toMatch(/LRU hit ratio by cache size/)
    expect(text).toMatch(/B2: device 3\.1k, host 6\.1k, disk 24\.6k tokens -> predicted cached/)
    const json = JSON.parse(readFileSync(join(dir, 'out', 'whatif.json'), 'utf8'))
    expect(json.summary.rows).toBe(500)
    expect(json.capacities.B2.device_tokens).toBe(96 * 32)
    expect(readFileSync(join(dir, 'out', 'whatif_curve.csv'), 'utf8').split('\n')[0]).toBe('cache_blocks,cache_tokens,cache_bytes,block_hit_ratio,token_hit_ratio')
    expect(readFileSync(join(dir, 'out', 'whatif_curve.png')).subarray(1, 4).toString()).toBe('PNG')
  })

  test('a missing file is one line naming the path, a malformed row names its line, an empty trace stops', async () => {
    const missing = capture()
    expect(await traceAnalyzeCommand([join(dir, 'nope.jsonl')], missing.io)).toBe(2)
    expect(missing.err).toEqual([`tierbench trace-analyze: Expected a Mooncake trace file at ${join(dir, 'nope.jsonl')}, got no such file`])
    const bad = join(dir, 'bad.jsonl')
    writeFileSync(bad, '{"timestamp":0,"input_length":10,"output_length":1,"hash_ids":[0]}\n{"timestamp":1,"input_length":"x"}\n')
    const malformed = capture()
    expect(await traceAnalyzeCommand([bad], malformed.io)).toBe(2)
    expect(malformed.err).toHaveLength(1)
    expect(malformed.err[0]).toMatch(/bad\.jsonl line 2 \(input_length:/)
    const empty = join(dir, 'empty.jsonl')
    writeFileSync(empty, '\n')
    const e = capture()
    expect(await traceAnalyzeCommand([empty], e.io)).toBe(2)
    expect(e.err[0]).toMatch(/Expected at least one row in .*empty\.jsonl, got an empty trace/)
  })

  test('bad options name the option and the value', async () => {
    const c = capture()
    expect(await traceAnalyzeCommand(['x.jsonl', '--length-scale', '-1'], c.io)).toBe(2)
    expect(c.err[0]).toBe('tierbench trace-analyze: Expected --length-scale to be a positive number, got "-1"')
    const d = capture()
    expect(await traceAnalyzeCommand(['x.jsonl', '--profile', 'nope'], d.io)).toBe(2)
    expect(d.err[0]).toMatch(/Expected --profile to be one of .*tiny.*, got "nope"/)
    const e = capture()
    expect(await traceAnalyzeCommand(['x.jsonl', '--bogus', '1'], e.io)).toBe(2)
    expect(e.err[0]).toMatch(/got --bogus/)
  })
})
