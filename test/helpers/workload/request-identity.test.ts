import { createHash } from 'node:crypto'
import { expect, test } from 'vitest'
import { canonicalJson, requestIdentity } from '../../../helpers/workload/request-identity'

const params = { max_tokens: 256, temperature: 0.7, top_p: 1, stop: ['<|eot_id|>'], stream: true, seed: null }

test('canonical JSON sorts keys at every level, is compact and drops undefined fields', () => {
  expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 'x' }], u: undefined, n: null })).toBe('{"a":[1,{"c":"x","d":2}],"b":1,"n":null}')
})

test('the four hashes are SHA-256 over canonical JSON, as the prior harness computed them', () => {
  const id = requestIdentity('m', 'hello', params)
  const sha = (s: string) => createHash('sha256').update(s).digest('hex')
  expect(id.prompt_sha).toBe(sha('hello'))
  expect(id.params_hash).toBe(sha('{"max_tokens":256,"seed":null,"stop":["<|eot_id|>"],"stream":true,"temperature":0.7,"top_p":1}'))
  expect(id.identity_hash).toBe(sha(canonicalJson({ model: 'm', prompt_sha: sha('hello'), params })))
  expect(id.payload_hash).toBe(sha(canonicalJson({ model: 'm', prompt: 'hello', params })))
})

test('identity changes with the model, the prompt or any parameter, and not otherwise', () => {
  const base = requestIdentity('m', 'p', params)
  expect(requestIdentity('m', 'p', { ...params }).identity_hash).toBe(base.identity_hash)
  expect(requestIdentity('m2', 'p', params).identity_hash).not.toBe(base.identity_hash)
  expect(requestIdentity('m', 'q', params).identity_hash).not.toBe(base.identity_hash)
  expect(requestIdentity('m', 'p', { ...params, max_tokens: 8 }).identity_hash).not.toBe(base.identity_hash)
  expect(requestIdentity('m', 'p', { ...params, stream: false }).params_hash).not.toBe(base.params_hash)
})
