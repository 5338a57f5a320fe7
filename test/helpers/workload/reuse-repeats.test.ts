import { expect, test } from 'vitest'
import { takeAll } from '../../../helpers/workload/request-stream'
import { reuseRepeats } from '../../../helpers/workload/reuse-repeats'
import type { RequestStream } from '../../../helpers/workload/workload-types'

test('every phase sends one identical request', () => {
  const w = reuseRepeats({ model: 'm', tokenizer: 'o200k', template: 'harmony', seed: 1 }, { repeats: 3, contextTokens: 1024 })
  expect(w.phases.map((p) => p.phase)).toEqual(['reuse_1', 'reuse_2', 'reuse_3'])
  const items = w.phases.flatMap((p) => takeAll(p.workload.source as RequestStream))
  expect(items).toHaveLength(3)
  expect(new Set(items.map((i) => i.request.meta.payload_hash)).size).toBe(1)
  expect(new Set(items.map((i) => i.request.meta.request_id)).size).toBe(3)
  expect(items[0].request.meta.prompt_tokens_expected).toBe(1024)
})
