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
})
