import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { createSseParser, parseSseText, type SseEvent } from '../../../helpers/client/sse-parser'

const fixtureDir = join(import.meta.dirname, '../../../fixtures/sse')
const fixture = (name: string) => readFileSync(join(fixtureDir, name))

const parseChunks = (chunks: (string | Uint8Array)[]) => {
  const events: SseEvent[] = []
  const p = createSseParser((e) => events.push(e))
  for (const c of chunks) p.push(c)
  const end = p.end()
  return { events, end, comments: p.comments }
}

// Small deterministic PRNG so random fragmentations are reproducible from the seed in the title.
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

describe('sse-parser', () => {
  test('a completions stream yields its data payloads in order and ends with [DONE]', () => {
    const events = parseSseText(fixture('completions-basic.txt'))
    expect(events.map((e) => e.data.startsWith('{') || e.data === '[DONE]')).toEqual([true, true, true, true, true])
    expect(events.at(-1)?.data).toBe('[DONE]')
    expect(JSON.parse(events[2].data).choices[0].text).toBe(' été 😀')
    expect(events.every((e) => e.event === 'message' && e.complete)).toBe(true)
  })

  test('CRLF line endings and comment keep-alives are handled and comments are counted', () => {
    const { events, comments } = parseChunks([fixture('chat-crlf-role-first.txt')])
    expect(events).toHaveLength(6)
    expect(comments).toBe(1)
    expect(JSON.parse(events[1].data).choices[0].delta.content).toBe('Hi')
  })

  test('bare CR line endings, id and event fields and multi-line data joined with a newline', () => {
    const events = parseSseText(fixture('completions-cr-multiline.txt'))
    expect(events).toHaveLength(3)
    expect(events[0].id).toBe('1')
    expect(events[1].id).toBe('2')
    expect(events[1].data).toBe('{"id":"c-2",\n"choices":[{"text":"b"}]}')
    expect(JSON.parse(events[1].data).choices[0].text).toBe('b')
    expect(events[2]).toEqual({ event: 'message', data: '[DONE]', id: '2', complete: true })
  })

  test('an event: error is delivered with its type', () => {
    const events = parseSseText(fixture('error-event.txt'))
    expect(events.map((e) => e.event)).toEqual(['message', 'error'])
    expect(JSON.parse(events[1].data).error.message).toBe('KV cache offload failed')
  })

  test('a stream cut mid-event flushes the partial event marked incomplete', () => {
    const { events, end } = parseChunks([fixture('truncated.txt')])
    expect(end.incomplete).toBe(true)
    expect(events).toHaveLength(3)
    expect(events[2]).toMatchObject({ data: '{"id":"c-4","choi', complete: false })
    expect(events[1].complete).toBe(true)
  })

  test('a field line without a colon and an empty data line follow the spec', () => {
    const events = parseSseText('data\n\ndata:\ndata:x\n\nevent: only-type\n\n')
    // `data` alone and `data:` append an empty line; an event with no data lines is not dispatched.
    expect(events.map((e) => e.data)).toEqual(['', '\nx'])
  })

  test('an id containing NUL is ignored and data with one leading space keeps the rest', () => {
    const events = parseSseText('id: a\0b\ndata:  two spaces\n\n')
    expect(events[0].id).toBeNull()
    expect(events[0].data).toBe(' two spaces')
  })

  for (const name of readdirSync(fixtureDir).filter((f) => f.endsWith('.txt'))) {
    const bytes = fixture(name)
    const reference = parseChunks([bytes])

    test(`${name} parses identically when split into two byte chunks at every offset`, () => {
      for (let i = 0; i <= bytes.length; i++) {
        const got = parseChunks([bytes.subarray(0, i), bytes.subarray(i)])
        expect(got.events, `split at byte ${i}`).toEqual(reference.events)
      }
    })

    test(`${name} parses identically when split into two string chunks at every offset`, () => {
      const text = bytes.toString('utf8')
      for (let i = 0; i <= text.length; i++) {
        const got = parseChunks([text.slice(0, i), text.slice(i)])
        expect(got.events, `split at char ${i}`).toEqual(reference.events)
      }
    })

    test(`${name} parses identically when fed one byte at a time`, () => {
      const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1))
      expect(parseChunks(chunks).events).toEqual(reference.events)
    })

    test(`${name} parses identically under 200 random fragmentations (seed 42)`, () => {
      const rand = mulberry32(42)
      for (let round = 0; round < 200; round++) {
        const chunks: Uint8Array[] = []
        let i = 0
        while (i < bytes.length) {
          const n = 1 + Math.floor(rand() * 40)
          chunks.push(bytes.subarray(i, i + n))
          i += n
        }
        expect(parseChunks(chunks).events, `round ${round}`).toEqual(reference.events)
      }
    })
  }

  test('a CR at the end of one chunk and an LF at the start of the next make one line break', () => {
    const { events } = parseChunks(['data: a\r', '\ndata: b\r', '\n\r', '\n'])
    expect(events).toEqual([{ event: 'message', data: 'a\nb', id: null, complete: true }])
  })
})
