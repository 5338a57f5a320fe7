import { expect, test } from 'vitest'
import { fixedContext } from '../../../helpers/workload/fixed-context'
import { adapterName, lora } from '../../../helpers/workload/lora'
import { takeAll } from '../../../helpers/workload/request-stream'
import type { RequestStream } from '../../../helpers/workload/workload-types'

const ctx = { model: 'base', tokenizer: 'llama3' as const, template: 'llama3' as const, seed: 4 }
const run = (assignment: 'random' | 'sticky') =>
  takeAll(lora(ctx, { inner: fixedContext(ctx, { contextTokens: 300, requests: 24 }), adapters: 6, users: 3, assignment }).source as RequestStream)

test('sticky assignment keeps each user on one adapter', () => {
  const items = run('sticky')
  const byUser = new Map<string, Set<string>>()
  for (const { request } of items) {
    expect(request.body.lora).toBe(request.meta.adapter)
    expect(request.meta.adapter).toMatch(/^adapter-\d{3}$/)
    byUser.set(request.meta.session_id ?? '', (byUser.get(request.meta.session_id ?? '') ?? new Set()).add(request.meta.adapter ?? ''))
  }
  expect(byUser.size).toBe(3)
  for (const set of byUser.values()) expect(set.size).toBe(1)
})

test('random assignment spreads requests over the adapters, deterministically', () => {
  const a = run('random').map((i) => i.request.meta.adapter)
  expect(run('random').map((i) => i.request.meta.adapter)).toEqual(a)
  expect(new Set(a).size).toBeGreaterThanOrEqual(4)
})

test('the adapter is part of the identity: same prompt, different adapter, different identity hash', () => {
  const items = run('random')
  const byAdapter = new Map(items.map((i) => [i.request.meta.adapter, i.request.meta.identity_hash]))
  expect(new Set(byAdapter.values()).size).toBe(byAdapter.size)
  expect(new Set(items.map((i) => i.request.meta.prompt_sha)).size).toBe(1)
  // Reuse opportunities exist only within an adapter: one prefix hash per adapter.
  const prefixes = new Map(items.map((i) => [i.request.meta.adapter, i.request.meta.prefix_hash]))
  expect(new Set(prefixes.values()).size).toBe(prefixes.size)
  for (const i of items) expect(i.request.meta.prefix_hash).toBe(prefixes.get(i.request.meta.adapter))
  expect(adapterName(7)).toBe('adapter-007')
})
