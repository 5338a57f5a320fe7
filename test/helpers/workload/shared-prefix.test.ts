import { expect, test } from 'vitest'
import { takeAll } from '../../../helpers/workload/request-stream'
import { sharedPrefix } from '../../../helpers/workload/shared-prefix'
import type { RequestStream } from '../../../helpers/workload/workload-types'
import { promptIds, sharedBlocks } from './block-chain'

const ctx = { model: 'm', tokenizer: 'llama3' as const, template: 'llama3' as const, seed: 11 }

test('every request shares the whole project prefix at the token level (32-token hash-chain blocks)', () => {
  const items = takeAll(sharedPrefix(ctx, { prefixTokens: 1024, sessions: 3, burstSize: 2, requests: 8 }).source as RequestStream)
  const ids = items.map((i) => promptIds(i.request, 'llama3'))
  for (const other of ids.slice(1)) expect(sharedBlocks(ids[0], other)).toBe(1024 / 32)
  expect(new Set(items.map((i) => i.request.meta.prefix_hash)).size).toBe(1)
  expect(new Set(items.map((i) => i.request.meta.identity_hash)).size).toBe(8)
})

test('sessions rotate round robin with bursts of consecutive turns', () => {
  const items = takeAll(sharedPrefix(ctx, { prefixTokens: 256, sessions: 3, burstSize: 2, requests: 8 }).source as RequestStream)
  expect(items.map((i) => `${i.request.meta.session_id}/${i.request.meta.turn}`)).toEqual([
    's0000/0', 's0000/1', 's0001/0', 's0001/1', 's0002/0', 's0002/1', 's0000/2', 's0000/3',
  ])
})

test('the same seed reproduces the stream', () => {
  const a = takeAll(sharedPrefix(ctx, { prefixTokens: 256, requests: 5 }).source as RequestStream)
  const b = takeAll(sharedPrefix(ctx, { prefixTokens: 256, requests: 5 }).source as RequestStream)
  expect(b.map((i) => i.request.meta.payload_hash)).toEqual(a.map((i) => i.request.meta.payload_hash))
})
