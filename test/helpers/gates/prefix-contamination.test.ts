import { describe, expect, test } from 'vitest'
import type { RequestRecord } from '../../../helpers/client/request-record'
import { prefixContamination } from '../../../helpers/gates/prefix-contamination'

const rec = (over: Partial<RequestRecord>): RequestRecord => ({ ok: true, request_id: 'r', cached_tokens: 8, reusable_tokens_max: 9, input_tokens: 1024, ...over }) as RequestRecord

describe('prefixContamination', () => {
  test('counts requests meant to be cold whose server served more cached tokens than intended, with the worst example', () => {
    const r = prefixContamination([rec({}), rec({ request_id: 'bad', cached_tokens: 1023 }), rec({ cached_tokens: 9 })])
    expect(r.value).toBe(1)
    expect(r.details).toMatchObject({ checked: 3, contaminated: 1, worst: { request_id: 'bad', cached_tokens: 1023, reusable_tokens_max: 9 } })
  })
  test('has no data when no request carries a bound or the server reports no cached tokens', () => {
    expect(prefixContamination([rec({ reusable_tokens_max: undefined })]).value).toBeNull()
    expect(prefixContamination([rec({ cached_tokens: null })]).value).toBeNull()
    expect(prefixContamination([]).value).toBeNull()
  })
})
