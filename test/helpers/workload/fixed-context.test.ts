import { describe, expect, test } from 'vitest'
import { fixedContext } from '../../../helpers/workload/fixed-context'
import { takeAll } from '../../../helpers/workload/request-stream'
import type { RequestStream, Workload } from '../../../helpers/workload/workload-types'
import { promptIds, sharedBlocks } from './block-chain'

const ctx = { model: 'm', tokenizer: 'llama3' as const, template: 'llama3' as const, seed: 7, maxInputTokens: 8192 }
const drain = (w: Workload) => takeAll(w.source as RequestStream)

describe('fixedContext', () => {
  test('the same seed gives byte-identical requests and another seed different ones', () => {
    const a = drain(fixedContext(ctx, { contextTokens: [512, 1024], requests: 6, promptPool: 3 }))
    const b = drain(fixedContext(ctx, { contextTokens: [512, 1024], requests: 6, promptPool: 3 }))
    const c = drain(fixedContext({ ...ctx, seed: 8 }, { contextTokens: [512, 1024], requests: 6, promptPool: 3 }))
    expect(JSON.stringify(b)).toBe(JSON.stringify(a))
    expect(c.map((i) => i.request.meta.identity_hash)).not.toEqual(a.map((i) => i.request.meta.identity_hash))
  })

  test('every request carries its exact size, session, turn and the four hashes', () => {
    const items = drain(fixedContext(ctx, { contextTokens: 768, requests: 4, users: 2 }))
    for (const [i, { request }] of items.entries()) {
      expect(promptIds(request, 'llama3').length).toBe(768)
      expect(request.meta).toMatchObject({ prompt_tokens_expected: 768, session_id: `u${i % 2}`, turn: Math.floor(i / 2), workload: 'fixed_context' })
      for (const h of ['prompt_sha', 'params_hash', 'identity_hash', 'payload_hash', 'prefix_hash'] as const) expect(request.meta[h]).toMatch(/^[0-9a-f]{64}$/)
    }
  })

  test('without a nonce users share the whole prompt; with a per-user nonce they share no block but keep their size', () => {
    const plain = drain(fixedContext(ctx, { contextTokens: 1024, requests: 2, users: 2 }))
    expect(plain[0].request.meta.identity_hash).toBe(plain[1].request.meta.identity_hash)
    const nonced = drain(fixedContext(ctx, { contextTokens: 1024, requests: 3, users: 2, nonce: 'per_user' }))
    const [u0, u1, u0again] = nonced.map((i) => promptIds(i.request, 'llama3'))
    expect(u0.length).toBe(1024)
    expect(u1.length).toBe(1024)
    expect(sharedBlocks(u0, u1)).toBe(0)
    expect(sharedBlocks(u0, u0again)).toBe(32)
    expect(nonced[0].request.meta.prefix_hash).not.toBe(nonced[1].request.meta.prefix_hash)
  })

  test('a needle probe asks to keep the text and records the answer', () => {
    const [item] = drain(fixedContext(ctx, { contextTokens: 1024, requests: 1, needle: { depth: 0.5 } }))
    expect(item.request.meta.keep_text).toBe(true)
    expect(item.request.body.messages?.[1].content).toContain(`The secret code word is "${item.request.meta.needle_answer}".`)
    expect(item.request.body.ignore_eos).toBeUndefined()
  })

  test('a size over the engine ceiling is refused before anything is sent', () => {
    const w = fixedContext(ctx, { contextTokens: 7800, requests: 1 })
    expect(() => (w.source as RequestStream).next()).toThrow(/Expected request fixed_context-000000 to have at most 7680 prompt tokens/)
  })

  test('the completions endpoint sends the templated string with the same prompt hash', () => {
    const [chat] = drain(fixedContext(ctx, { contextTokens: 512, requests: 1 }))
    const [comp] = drain(fixedContext({ ...ctx, endpoint: 'completions' }, { contextTokens: 512, requests: 1 }))
    expect(comp.request.endpoint).toBe('completions')
    expect(comp.request.body.prompt?.startsWith('<|begin_of_text|>')).toBe(true)
    expect(comp.request.meta.prompt_sha).toBe(chat.request.meta.prompt_sha)
    expect(comp.request.meta.payload_hash).not.toBe(chat.request.meta.payload_hash)
  })
})
