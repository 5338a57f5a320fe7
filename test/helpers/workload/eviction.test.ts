import { expect, test } from 'vitest'
import { eviction } from '../../../helpers/workload/eviction'
import { takeAll } from '../../../helpers/workload/request-stream'
import type { RequestStream } from '../../../helpers/workload/workload-types'

const ctx = { model: 'm', tokenizer: 'llama3' as const, template: 'llama3' as const, seed: 6 }

test('A/B/A: the replay sends exactly the warm A prompts and B shares nothing with A', () => {
  const w = eviction(ctx, { contextTokens: [512, 768], aRequests: 4, bRequests: 6 })
  expect(w.phases.map((p) => p.phase)).toEqual(['warm_A', 'pressure_B', 'replay_A'])
  const [warm, pressure, replay] = w.phases.map((p) => takeAll(p.workload.source as RequestStream))
  expect(warm).toHaveLength(4)
  expect(pressure).toHaveLength(6)
  expect(replay.map((i) => i.request.meta.identity_hash)).toEqual(warm.map((i) => i.request.meta.identity_hash))
  expect(new Set(replay.map((i) => i.request.meta.request_id)).size).toBe(4)
  expect(replay[0].request.meta.request_id).not.toBe(warm[0].request.meta.request_id)
  const aPrefixes = new Set(warm.map((i) => i.request.meta.prefix_hash))
  for (const b of pressure) expect(aPrefixes.has(b.request.meta.prefix_hash)).toBe(false)
  expect(w.phases[2].replays).toBe('warm_A')
})

test('an optional long-prompt warmup runs first and shares nothing with A', () => {
  const w = eviction(ctx, { contextTokens: 512, aRequests: 2, bRequests: 2, warmupRequests: 2 })
  expect(w.phases.map((p) => p.phase)).toEqual(['warmup', 'warm_A', 'pressure_B', 'replay_A'])
  const [warmup, warm] = w.phases.map((p) => takeAll(p.workload.source as RequestStream))
  expect(warmup).toHaveLength(2)
  expect(warm.map((i) => i.request.meta.prefix_hash)).not.toContain(warmup[0].request.meta.prefix_hash)
})
