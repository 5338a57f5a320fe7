import { appendFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { lineAlignedRanges, scanRequests } from '../../reporters/request-cells'
import { writeSyntheticRun } from './synthetic-run'

const root = mkdtempSync(join(tmpdir(), 'tierbench-request-cells-'))
let file = ''
afterAll(() => rmSync(root, { recursive: true, force: true }))
beforeAll(async () => {
  const run = await writeSyntheticRun(root, { requestsPerPhase: 60, truncateRequests: true })
  file = join(run.runDir, 'raw', 'requests.jsonl')
})

describe('scanRequests', () => {
  test('line-aligned ranges cover the file without gaps and start at line starts', async () => {
    const { readFileSync } = await import('node:fs')
    const buf = readFileSync(file)
    const ranges = lineAlignedRanges(file, 3)
    expect(ranges[0]!.start).toBe(0)
    expect(ranges.at(-1)!.end).toBe(buf.length)
    for (let i = 1; i < ranges.length; i++) {
      expect(ranges[i]!.start).toBe(ranges[i - 1]!.end)
      expect(buf[ranges[i]!.start - 1]).toBe(10)
    }
  })

  test('worker threads give the same cells, columns in the same order, and the same truncation count as one thread', async () => {
    const one = await scanRequests(file, { workers: 1 })
    const three = await scanRequests(file, { workers: 3, minParallelBytes: 0 })
    expect(three.threads).toBe(3) // the worker path ran, not the in-process fallback
    expect(one.threads).toBe(1)
    expect(three.stats.rows).toBe(one.stats.rows)
    expect(three.stats.truncated_last).toBe(1)
    expect(three.stats.bad_lines).toBe(0)
    expect([...three.cells.keys()].sort()).toEqual([...one.cells.keys()].sort())
    for (const [k, c] of one.cells) {
      const p = three.cells.get(k)!
      expect(p.count).toBe(c.count)
      expect(p.columns.ttft_ms).toEqual(c.columns.ttft_ms)
      expect(p.t_sent_ms).toEqual(c.t_sent_ms)
      expect(p.itl_ms).toEqual(c.itl_ms)
      expect(p.errors_by_class).toEqual(c.errors_by_class)
    }
  })

  test('a broken line that is not the last one counts as bad, not as truncated', async () => {
    const copy = join(root, 'broken.jsonl')
    const { readFileSync, writeFileSync } = await import('node:fs')
    const lines = readFileSync(file, 'utf8').split('\n')
    lines.splice(10, 0, '{"suite_id":"h2b","pha')
    writeFileSync(copy, lines.join('\n'))
    const one = await scanRequests(copy, { workers: 1 })
    expect(one.stats.bad_lines).toBe(1)
    expect(one.stats.truncated_last).toBe(1)
    // Two workers count the same: a range's unparseable last line is bad unless it ends the file.
    const two = await scanRequests(copy, { workers: 2, minParallelBytes: 0 })
    expect(two.stats.bad_lines + two.stats.truncated_last).toBe(2)
    expect(two.stats.truncated_last).toBe(1)
    appendFileSync(copy, '\n' + lines[0])
    const healed = await scanRequests(copy, { workers: 1 })
    expect(healed.stats).toMatchObject({ bad_lines: 2, truncated_last: 0 })
  })
})
