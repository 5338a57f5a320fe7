import { describe, expect, it } from 'vitest'
import { checkIntegrity, needleAnswered } from '../../../helpers/analysis/integrity'
import { makeRecord } from './request-record-fixture'

describe('checkIntegrity', () => {
  const reference = [0, 1, 2].map((i) => makeRecord({ seq: i, mode: 'B0', phase: 'reference', identity_hash: `id-${i}`, output_sha: `sha-${i}` }))

  it('catches a planted mismatch: same identity, different text in the replay', () => {
    const replay = [
      makeRecord({ seq: 10, mode: 'B2', phase: 'replay', identity_hash: 'id-0', output_sha: 'sha-0' }),
      makeRecord({ seq: 11, mode: 'B2', phase: 'replay', identity_hash: 'id-1', output_sha: 'sha-CORRUPT' }),
      makeRecord({ seq: 12, mode: 'B2', phase: 'replay', identity_hash: 'id-9', output_sha: 'sha-9' }), // no reference: not compared
    ]
    const r = checkIntegrity({ records: replay, reference })
    expect(r.compared).toBe(2)
    expect(r.mismatches).toBe(1)
    expect(r.examples[0]).toMatchObject({ kind: 'mismatch', request_id: 'req-11', expected: 'sha-1', got: 'sha-CORRUPT' })
  })

  it('catches a wrong needle answer and accepts a right one', () => {
    const probes = [
      makeRecord({ seq: 20, output_text: '  The code word is BLUE-FALCON-42.' }),
      makeRecord({ seq: 21, output_text: 'I do not know.' }),
    ]
    const r = checkIntegrity({ records: probes, needles: new Map([['req-20', 'the code word is blue-falcon-42'], ['req-21', 'BLUE-FALCON-42']]) })
    expect(r.needles_checked).toBe(2)
    expect(r.needle_failures).toBe(1)
    expect(r.examples[0]).toMatchObject({ kind: 'needle_failure', request_id: 'req-21', expected: 'BLUE-FALCON-42' })
  })

  it('counts a non-deterministic reference and skips failed requests', () => {
    const ref = [makeRecord({ seq: 0, identity_hash: 'x', output_sha: 'a' }), makeRecord({ seq: 1, identity_hash: 'x', output_sha: 'b' })]
    const r = checkIntegrity({ records: [makeRecord({ seq: 2, identity_hash: 'x', output_sha: 'c', ok: false, error_class: 'http_5xx' })], reference: ref })
    expect(r.reference_conflicts).toBe(1)
    expect(r.compared).toBe(0)
  })

  it('needleAnswered ignores case and whitespace but not content', () => {
    expect(needleAnswered('Answer:\n  42', 'answer: 42')).toBe(true)
    expect(needleAnswered('43', '42')).toBe(false)
    expect(needleAnswered(undefined, '42')).toBe(false)
  })
})
