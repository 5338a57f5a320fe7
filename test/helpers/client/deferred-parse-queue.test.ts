import { describe, expect, test } from 'vitest'
import { createDeferredParseQueue } from '../../../helpers/client/deferred-parse-queue'

describe('deferred-parse-queue', () => {
  test('chunks are fed later, in arrival order, with the time they were stamped at', async () => {
    const q = createDeferredParseQueue()
    const seen: string[] = []
    const a = (c: Buffer, t: number) => seen.push(`a:${c}:${t}`)
    const b = (c: Buffer, t: number) => seen.push(`b:${c}:${t}`)
    q.push(a, Buffer.from('1'), 10)
    q.push(b, Buffer.from('2'), 11)
    q.push(a, Buffer.from('3'), 12)
    expect(seen).toEqual([])
    await new Promise((r) => setImmediate(r))
    expect(seen).toEqual(['a:1:10', 'b:2:11', 'a:3:12'])
  })

  test('flush parses synchronously and a feed that flushes again does not repeat chunks', async () => {
    const q = createDeferredParseQueue()
    const seen: number[] = []
    q.push((_c, t) => {
      seen.push(t)
      q.flush()
    }, Buffer.from('x'), 1)
    q.push((_c, t) => seen.push(t), Buffer.from('y'), 2)
    q.flush()
    expect(seen).toEqual([1, 2])
    await new Promise((r) => setImmediate(r))
    expect(seen).toEqual([1, 2])
  })

  test('chunks queued while a flush runs, and by a feed that flushes again, are each fed exactly once', async () => {
    const q = createDeferredParseQueue()
    const seen: string[] = []
    const plain = (c: Buffer) => seen.push(String(c))
    for (let round = 0; round < 3; round++) {
      q.push((c) => {
        seen.push(String(c))
        q.push(plain, Buffer.from(`late${round}`), 0)
        q.flush()
        q.push(plain, Buffer.from(`after${round}`), 0)
      }, Buffer.from(`first${round}`), 0)
      q.push(plain, Buffer.from(`second${round}`), 0)
      await new Promise((r) => setImmediate(r))
      await new Promise((r) => setImmediate(r))
    }
    expect(seen).toEqual(['first0', 'late0', 'second0', 'after0', 'first1', 'late1', 'second1', 'after1', 'first2', 'late2', 'second2', 'after2'])
  })
})
