import { expect, test } from 'vitest'
import { ragLongdoc } from '../../../helpers/workload/rag-longdoc'
import { takeAll } from '../../../helpers/workload/request-stream'
import type { RequestStream } from '../../../helpers/workload/workload-types'
import { promptIds, sharedBlocks } from './block-chain'

const ctx = { model: 'm', tokenizer: 'llama3' as const, template: 'llama3' as const, seed: 2 }

test('questions on one document share its tokens, have the exact size and differ from other documents', () => {
  const items = takeAll(ragLongdoc(ctx, { documentTokens: 4096, questionsPerDocument: 3, documents: 2, questionTokens: 32 }).source as RequestStream)
  expect(items).toHaveLength(6)
  const ids = items.map((i) => promptIds(i.request, 'llama3'))
  for (const x of ids) expect(x.length).toBe(4096)
  expect(sharedBlocks(ids[0], ids[1])).toBeGreaterThanOrEqual(Math.floor((4096 - 60) / 32))
  expect(sharedBlocks(ids[0], ids[3])).toBeLessThan(2)
  expect(items[0].request.meta.prefix_hash).toBe(items[2].request.meta.prefix_hash)
  expect(items[0].request.meta.prefix_hash).not.toBe(items[3].request.meta.prefix_hash)
  expect(items.map((i) => i.request.meta.session_id)).toEqual(['doc0000', 'doc0000', 'doc0000', 'doc0001', 'doc0001', 'doc0001'])
})

test('a dataset L document is exact at 32k tokens', () => {
  const [item] = takeAll(ragLongdoc({ ...ctx, maxInputTokens: 131072 }, { documentTokens: 32768, questionsPerDocument: 1, documents: 1 }).source as RequestStream)
  expect(promptIds(item.request, 'llama3').length).toBe(32768)
})
