import { expect, test } from 'vitest'
import { LONG_MENU, promptSetTokens, SHORT_MENU } from '../../../helpers/workload/prompt-set'
import { takeAll } from '../../../helpers/workload/request-stream'
import { createRng } from '../../../helpers/workload/seeded-random'
import { standard } from '../../../helpers/workload/standard'
import type { RequestStream } from '../../../helpers/workload/workload-types'

test('prompt sets pick from the prior harness menus inside the ranges, mixed about half and half', () => {
  const rng = createRng(1)
  const short = Array.from({ length: 50 }, () => promptSetTokens('short', rng))
  for (const n of short) expect(SHORT_MENU).toContain(n)
  const capped = Array.from({ length: 50 }, () => promptSetTokens('long', rng, { longRange: [6000, 7600] }))
  for (const n of capped) expect(n >= 6000 && n <= 7600 && !(LONG_MENU as readonly number[]).includes(n)).toBe(true)
  const mixed = Array.from({ length: 400 }, () => promptSetTokens('mixed', rng))
  const longShare = mixed.filter((n) => n >= 8192).length / mixed.length
  expect(longShare).toBeGreaterThan(0.4)
  expect(longShare).toBeLessThan(0.6)
})

test('standard has a warmup with its own seed, then main; every prompt unique and exact', () => {
  const w = standard({ model: 'm', tokenizer: 'llama3', template: 'llama3', seed: 3, maxInputTokens: 8192 }, { requests: 5, warmup: 2 })
  expect(w.phases.map((p) => p.phase)).toEqual(['warmup', 'main'])
  const [warm, main] = w.phases.map((p) => takeAll(p.workload.source as RequestStream))
  expect(warm).toHaveLength(2)
  expect(main).toHaveLength(5)
  const all = [...warm, ...main].map((i) => i.request.meta)
  expect(new Set(all.map((m) => m.identity_hash)).size).toBe(7)
  for (const m of all) expect(SHORT_MENU).toContain(m.prompt_tokens_expected)
})
