import { expect, test } from 'vitest'
import { fixedContext } from '../../../helpers/workload/fixed-context'
import { mixed } from '../../../helpers/workload/mixed'
import { takeAll } from '../../../helpers/workload/request-stream'
import type { RequestStream } from '../../../helpers/workload/workload-types'

const ctx = { model: 'm', tokenizer: 'llama3' as const, template: 'llama3' as const, seed: 9 }
const make = (seed: number) =>
  mixed({
    seed,
    requests: 200,
    components: [
      { weight: 3, workload: fixedContext(ctx, { name: 'short', contextTokens: 300, nonce: 'per_request' }) },
      { weight: 1, workload: fixedContext(ctx, { name: 'long', contextTokens: 600, nonce: 'per_request' }) },
    ],
  })

test('components are drawn by weight, deterministically by seed', () => {
  const a = takeAll(make(1).source as RequestStream).map((i) => i.request.meta.workload)
  const b = takeAll(make(1).source as RequestStream).map((i) => i.request.meta.workload)
  const c = takeAll(make(2).source as RequestStream).map((i) => i.request.meta.workload)
  expect(b).toEqual(a)
  expect(c).not.toEqual(a)
  const short = a.filter((w) => w === 'short').length
  expect(short / a.length).toBeGreaterThan(0.65)
  expect(short / a.length).toBeLessThan(0.85)
})

test('an exhausted component drops out and the mix ends when all are exhausted', () => {
  const w = mixed({
    seed: 1,
    components: [
      { weight: 1, workload: fixedContext(ctx, { name: 'a', contextTokens: 300, requests: 2 }) },
      { weight: 1, workload: fixedContext(ctx, { name: 'b', contextTokens: 300, requests: 3 }) },
    ],
  })
  expect(takeAll(w.source as RequestStream).map((i) => i.request.meta.workload).sort()).toEqual(['a', 'a', 'b', 'b', 'b'])
})
