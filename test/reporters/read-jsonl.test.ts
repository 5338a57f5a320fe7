import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { readJsonl, readJsonlRows } from '../../reporters/read-jsonl'

const dir = mkdtempSync(join(tmpdir(), 'tierbench-read-jsonl-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('readJsonl', () => {
  test('a cut-off last line is skipped and counted as truncated, not as corruption', async () => {
    const p = join(dir, 'truncated.jsonl')
    writeFileSync(p, '{"a":1}\n{"a":2}\n{"a":3,"b":')
    const seen: number[] = []
    const stats = await readJsonl(p, (row) => seen.push((row as { a: number }).a))
    expect(seen).toEqual([1, 2])
    expect(stats).toMatchObject({ rows: 2, truncated_last: 1, bad_lines: 0 })
  })

  test('an unparseable line in the middle is counted as a bad line with its line number', async () => {
    const p = join(dir, 'bad-middle.jsonl')
    writeFileSync(p, '{"a":1}\nnot json\n\n{"a":2}\n')
    const { rows, stats } = await readJsonlRows(p)
    expect(rows).toHaveLength(2)
    expect(stats).toMatchObject({ bad_lines: 1, truncated_last: 0, bad_line_numbers: [2] })
  })

  test('a missing file reads as empty instead of throwing', async () => {
    const stats = await readJsonl(join(dir, 'absent.jsonl'), () => {})
    expect(stats.rows).toBe(0)
  })
})
