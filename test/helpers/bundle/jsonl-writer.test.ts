import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, test } from 'vitest'
import { appendJsonl, createJsonlWriter } from '../../../helpers/bundle/jsonl-writer'
import { forEachJsonl, readJsonlSync } from '../../../helpers/bundle/read-jsonl'

const dir = mkdtempSync(join(tmpdir(), 'tb-jsonl-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('crash-safe JSONL', () => {
  test('every appended value is one whole line, readable while the writer is still open', () => {
    const path = join(dir, 'a', 'rows.jsonl')
    const w = createJsonlWriter(path)
    w.append({ i: 1, text: 'line\nbreak inside a string' })
    w.append({ i: 2 })
    expect(readJsonlSync(path).rows).toEqual([{ i: 1, text: 'line\nbreak inside a string' }, { i: 2 }])
    w.close()
    expect(() => w.append({ i: 3 })).toThrow(/closed writer/)
  })

  test('extra fields are added to the line as a spread would add them, in immediate and deferred writers', async () => {
    for (const deferred of [false, true]) {
      const path = join(dir, `extra-${deferred}.jsonl`)
      const w = createJsonlWriter(path, { deferred })
      const extra = { emulated: true, attempt: 2 }
      const values: unknown[] = [{ id: 'a', ok: true }, {}, { id: 'b', emulated: false }, [1, 2], 'text']
      for (const v of values) w.append(v, extra)
      w.append({ id: 'c' }, {})
      w.close()
      expect(readJsonlSync(path).rows).toEqual([
        { id: 'a', ok: true, emulated: true, attempt: 2 },
        { emulated: true, attempt: 2 },
        // The later key wins when the line is parsed, as `{ ...value, ...extra }` would.
        { id: 'b', emulated: true, attempt: 2 },
        [1, 2],
        'text',
        { id: 'c' },
      ])
    }
  })

  test('a torn last line from a crash is skipped and counted, by both readers', async () => {
    const path = join(dir, 'torn.jsonl')
    appendJsonl(path, { ok: 1 })
    appendJsonl(path, { ok: 2 })
    appendFileSync(path, '{"ok": 3, "trunc')
    expect(readJsonlSync(path)).toEqual({ rows: [{ ok: 1 }, { ok: 2 }], skipped: 1 })
    const seen: unknown[] = []
    expect(await forEachJsonl(path, (r) => void seen.push(r))).toEqual({ rows: 2, skipped: 1 })
    expect(seen).toHaveLength(2)
  })

  test('a process killed while appending leaves only whole lines behind', async () => {
    const path = join(dir, 'killed.jsonl')
    const script = `
      import { createJsonlWriter } from ${JSON.stringify(join(process.cwd(), 'helpers/bundle/jsonl-writer.ts'))}
      const w = createJsonlWriter(${JSON.stringify(path)})
      let i = 0
      const pad = 'x'.repeat(3000)
      for (;;) { w.append({ i: i++, pad }); if (i === 200) process.stdout.write('go\\n') }
    `
    const child = execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { reject: false })
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()))
    child.kill('SIGKILL')
    await child
    const text = readFileSync(path, 'utf8')
    const { rows, skipped } = readJsonlSync<{ i: number }>(path)
    expect(rows.length).toBeGreaterThanOrEqual(200)
    expect(skipped).toBe(0)
    expect(text.endsWith('\n')).toBe(true)
    rows.forEach((r, idx) => expect(r.i).toBe(idx))
  })

  test('a deferred writer writes its queued lines together one loop turn later, in order, and on close', async () => {
    const path = join(dir, 'deferred.jsonl')
    const w = createJsonlWriter(path, { deferred: true })
    w.append({ i: 1 })
    w.append({ i: 2, text: 'a\nb' })
    expect(readJsonlSync(path).rows).toEqual([])
    await new Promise((r) => setImmediate(r))
    expect(readJsonlSync(path).rows).toEqual([{ i: 1 }, { i: 2, text: 'a\nb' }])
    w.append({ i: 3 })
    w.close()
    expect(readJsonlSync(path).rows).toEqual([{ i: 1 }, { i: 2, text: 'a\nb' }, { i: 3 }])
    expect(() => w.append({ i: 4 })).toThrow(/closed writer/)
  })

  test('a deferred writer still writes what it holds when the process exits without closing it', async () => {
    const path = join(dir, 'deferred-exit.jsonl')
    const script = `
      import { createJsonlWriter } from ${JSON.stringify(join(process.cwd(), 'helpers/bundle/jsonl-writer.ts'))}
      const w = createJsonlWriter(${JSON.stringify(path)}, { deferred: true })
      for (let i = 0; i < 50; i++) w.append({ i })
      process.exit(0)
    `
    await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])
    const { rows, skipped } = readJsonlSync<{ i: number }>(path)
    expect(skipped).toBe(0)
    expect(rows.map((r) => r.i)).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })
})
