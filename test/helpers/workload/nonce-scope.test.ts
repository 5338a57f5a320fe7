import { describe, expect, test } from 'vitest'
import { withNonceScope } from '../../../helpers/workload/nonce-scope'
import { fixedContext } from '../../../helpers/workload/fixed-context'
import { nonceText } from '../../../helpers/workload/prompt-nonce'
import { reuseRepeats } from '../../../helpers/workload/reuse-repeats'
import type { ClientRequest, Workload } from '../../../helpers/workload/workload-types'

const ctx = { model: 'm', tokenizer: 'llama3' as const, template: 'llama3' as const, seed: 1337 }
const first = (w: Workload, n: number): ClientRequest[] => {
  if (w.kind !== 'stream') throw new Error('expected a stream')
  return Array.from({ length: n }, () => w.source.next()!.request)
}

describe('nonce scope', () => {
  test('the same nonce key gives different words in two phase scopes and the old words outside any scope', () => {
    const outside = nonceText('llama3', 'k')
    const a = withNonceScope('run1|h0|c1', () => nonceText('llama3', 'k'))
    const b = withNonceScope('run1|h0|c2', () => nonceText('llama3', 'k'))
    const a2 = withNonceScope('run1|h0|c1', () => nonceText('llama3', 'k'))
    expect(a).not.toBe(b)
    expect(a).toBe(a2)
    expect(nonceText('llama3', 'k')).toBe(outside)
  })

  test('request i of step c2 is no longer byte-identical to request i of step c1, and a new run differs again', () => {
    const mk = (scope: string) => withNonceScope(scope, () => first(fixedContext(ctx, { name: 'h0-A', contextTokens: 256, nonce: 'per_request' }), 3))
    const c1 = mk('run1|h0|c1')
    const c2 = mk('run1|h0|c2')
    const next = mk('run2|h0|c1')
    for (let i = 0; i < 3; i++) {
      expect(c1[i].meta.prompt_sha).not.toBe(c2[i].meta.prompt_sha)
      expect(c1[i].meta.prompt_sha).not.toBe(next[i].meta.prompt_sha)
      expect(c1[i].meta.prompt_tokens_expected).toBe(c2[i].meta.prompt_tokens_expected)
    }
  })

  test('a nonced prompt may be served from cache only up to the template head before its nonce', () => {
    const [r] = first(fixedContext(ctx, { contextTokens: 1024, nonce: 'per_request' }), 1)
    expect(r.meta.reusable_tokens_max).toBeGreaterThan(3)
    expect(r.meta.reusable_tokens_max).toBeLessThan(16)
    const [shared] = first(fixedContext(ctx, { contextTokens: 1024, nonce: 'none' }), 1)
    expect(shared.meta.reusable_tokens_max).toBeUndefined()
  })

  test('reuse repeats are identical in one scope; only the first repeat is bounded (it must be cold)', () => {
    const reqs = withNonceScope('run1|reuse_verify|reuse', () => reuseRepeats(ctx, { repeats: 3, contextTokens: 512 }).phases.map((p) => first(p.workload, 1)[0]))
    expect(new Set(reqs.map((r) => r.meta.identity_hash)).size).toBe(1)
    expect(reqs[0].meta.reusable_tokens_max).toBeGreaterThan(0)
    expect(reqs[1].meta.reusable_tokens_max).toBeUndefined()
  })
})
