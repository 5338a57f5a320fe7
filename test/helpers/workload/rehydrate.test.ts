import { expect, test } from 'vitest'
import { rehydrate } from '../../../helpers/workload/rehydrate'
import { takeAll } from '../../../helpers/workload/request-stream'
import type { RequestStream } from '../../../helpers/workload/workload-types'
import { promptIds, sharedBlocks } from './block-chain'

const ctx = { model: 'm', tokenizer: 'llama3' as const, template: 'llama3' as const, seed: 12 }

test('populate, thrash, then replays of exactly the populate prompts; each session has its own prefix', () => {
  const w = rehydrate(ctx, { populateSessions: 3, thrashSessions: 5, turns: 2, prefixTokens: 512, replays: 2 })
  expect(w.phases.map((p) => p.phase)).toEqual(['populate', 'thrash', 'replay', 'replay_2'])
  const [populate, thrash, replay, replay2] = w.phases.map((p) => takeAll(p.workload.source as RequestStream))
  expect(populate).toHaveLength(6)
  expect(thrash).toHaveLength(10)
  const hashes = (xs: typeof populate) => xs.map((i) => i.request.meta.identity_hash)
  expect(hashes(replay)).toEqual(hashes(populate))
  expect(hashes(replay2)).toEqual(hashes(populate))
  // Turns of one session share the session prefix (512 tokens = 16 blocks); sessions share none.
  const ids = populate.map((i) => promptIds(i.request, 'llama3'))
  expect(sharedBlocks(ids[0], ids[1])).toBeGreaterThanOrEqual(16)
  expect(sharedBlocks(ids[0], ids[2])).toBe(0)
  const populatePrefixes = new Set(populate.map((i) => i.request.meta.prefix_hash))
  expect(populatePrefixes.size).toBe(3)
  for (const t of thrash) expect(populatePrefixes.has(t.request.meta.prefix_hash)).toBe(false)
})
