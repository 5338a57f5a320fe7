import { describe, expect, test } from 'vitest'
import { DATASET_DEFAULTS } from '../../../helpers/config/dataset'
import { takeAll } from '../../../helpers/workload/request-stream'
import { workloadFamily } from '../../../helpers/workload/workload-family'
import type { RequestStream, SessionSource, WorkItem, Workload } from '../../../helpers/workload/workload-types'

const ctx = { model: 'm', tokenizer: 'llama3' as const, template: 'llama3' as const, seed: 1, maxInputTokens: 8192 }

const first = (w: Workload, n: number): WorkItem[] => {
  if (w.kind === 'stream') {
    const out: WorkItem[] = []
    for (let i = 0; i < n; i++) {
      const item = (w.source as RequestStream).next()
      if (item) out.push(item)
    }
    return out
  }
  const session = (w.source as SessionSource).sessions()[0]
  const out: WorkItem[] = []
  let prev = null
  for (let i = 0; i < n; i++) {
    const item = session.nextTurn(prev)
    if (!item) break
    out.push(item)
    prev = { ok: true, output_text: 'ok '.repeat(200) }
  }
  return out
}

describe('workloadFamily on dataset S', () => {
  test('A is a shared-prefix copilot with the dataset’s prefix size', () => {
    const items = first(workloadFamily('A', 'S', { ctx }), 3)
    expect(new Set(items.map((i) => i.request.meta.prefix_hash)).size).toBe(1)
    expect(items[0].request.meta.prompt_tokens_expected).toBeGreaterThan(DATASET_DEFAULTS.S.prefix_tokens)
    expect(items[0].request.body.max_tokens).toBe(DATASET_DEFAULTS.S.max_tokens)
  })
  test('B is an agent loop whose eight turns stay within the 8k engine', () => {
    const items = first(workloadFamily('B', 'S', { ctx }), 8)
    expect(items).toHaveLength(8)
    expect(items[7].request.meta.prompt_tokens_expected).toBeLessThanOrEqual(7680)
  })
  test('C asks several questions per document of the dataset’s document sizes', () => {
    const items = first(workloadFamily('C', 'S', { ctx }), 4)
    expect(new Set(items.map((i) => i.request.meta.session_id)).size).toBe(1)
    expect(DATASET_DEFAULTS.S.document_tokens).toContain(items[0].request.meta.prompt_tokens_expected)
  })
  test('D mixes chat, RAG and summarization requests', () => {
    const names = new Set(first(workloadFamily('D', 'S', { ctx }), 40).map((i) => i.request.meta.workload))
    expect(names).toEqual(new Set(['family_D_S_chat', 'family_D_S_rag', 'family_D_S_summarize']))
  })
})

test('the L variant of C builds documents of at least 32k tokens', () => {
  const [item] = first(workloadFamily('C', 'L', { ctx: { ...ctx, maxInputTokens: 131072 }, requests: 1 }), 1)
  expect(item.request.meta.prompt_tokens_expected).toBeGreaterThanOrEqual(32768)
})

test('a dataset that does not match the requested tier is refused', () => {
  expect(() => workloadFamily('A', 'L', { ctx, dataset: DATASET_DEFAULTS.S })).toThrow('Expected dataset L, got dataset S')
})

test('the same seed reproduces each family', () => {
  for (const f of ['A', 'C', 'D'] as const) {
    const a = takeAll((workloadFamily(f, 'S', { ctx, requests: 6 }).source as RequestStream))
    const b = takeAll((workloadFamily(f, 'S', { ctx, requests: 6 }).source as RequestStream))
    expect(b.map((i) => i.request.meta.payload_hash)).toEqual(a.map((i) => i.request.meta.payload_hash))
  }
})
