import { describe, expect, test } from 'vitest'
import { MISSING_ANSWER, sessionedChat } from '../../../helpers/workload/sessioned-chat'
import type { SessionSource, WorkItem } from '../../../helpers/workload/workload-types'
import { promptIds, sharedBlocks } from './block-chain'

const ctx = { model: 'm', tokenizer: 'llama3' as const, template: 'llama3' as const, seed: 3 }

const runSession = (source: SessionSource, index: number, answers: Array<string | null>) => {
  const session = source.sessions()[index]
  const items: WorkItem[] = []
  let prev = null
  for (let t = 0; ; t++) {
    const item = session.nextTurn(prev)
    if (!item) break
    items.push(item)
    prev = { ok: answers[t] !== null, output_text: answers[t] ?? null }
  }
  return items
}

describe('sessionedChat', () => {
  test('each turn re-sends the history including the model’s earlier answers', () => {
    const w = sessionedChat(ctx, { sessions: 2, turns: 3, userTokens: 64 })
    const items = runSession(w.source as SessionSource, 0, ['First answer about caches.', 'Second answer about tiers.', 'x'])
    expect(items).toHaveLength(3)
    const last = items[2].request.body.messages ?? []
    expect(last.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user'])
    expect(last[2].content).toBe('First answer about caches.')
    expect(last[4].content).toBe('Second answer about tiers.')
    expect(items.map((i) => i.request.meta.turn)).toEqual([0, 1, 2])
    // Turn n's prompt is a token prefix of turn n+1's, so its KV is reusable.
    const ids = items.map((i) => promptIds(i.request, 'llama3'))
    expect(sharedBlocks(ids[0], ids[1])).toBeGreaterThanOrEqual(Math.floor((ids[0].length - 4) / 32))
    for (const [i, item] of items.entries()) expect(item.request.meta.prompt_tokens_expected).toBe(ids[i].length)
  })

  test('a failed turn is recorded as a fixed placeholder answer so the conversation stays defined', () => {
    const items = runSession(sessionedChat(ctx, { sessions: 1, turns: 2 }).source as SessionSource, 0, [null, 'x'])
    expect(items[1].request.body.messages?.[2].content).toBe(MISSING_ANSWER)
  })

  test('sessions are deterministic and share the system prompt block', () => {
    const w = sessionedChat(ctx, { sessions: 2, turns: 1, systemTokens: 320 })
    const a = runSession(w.source as SessionSource, 0, ['a'])[0].request
    const b = runSession(w.source as SessionSource, 1, ['a'])[0].request
    const again = runSession(sessionedChat(ctx, { sessions: 2, turns: 1, systemTokens: 320 }).source as SessionSource, 0, ['a'])[0].request
    expect(again.meta.identity_hash).toBe(a.meta.identity_hash)
    expect(a.meta.prefix_hash).toBe(b.meta.prefix_hash)
    expect(a.meta.session_id).not.toBe(b.meta.session_id)
    expect(sharedBlocks(promptIds(a, 'llama3'), promptIds(b, 'llama3'))).toBe(10)
  })
})
