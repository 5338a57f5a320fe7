import { describe, expect, test } from 'vitest'
import { clientShards } from '../../../helpers/client/client-shards'

describe('clientShards', () => {
  test('keeps one event loop on small hosts and shards on hosts with spare cores', () => {
    expect(clientShards(2, {})).toBe(1)
    expect(clientShards(4, {})).toBe(1)
    expect(clientShards(8, {})).toBe(2)
    expect(clientShards(20, {})).toBe(5)
    expect(clientShards(128, {})).toBe(8)
  })

  test('TIERBENCH_CLIENT_SHARDS overrides the default and bad values name the variable', () => {
    expect(clientShards(2, { TIERBENCH_CLIENT_SHARDS: '3' })).toBe(3)
    expect(clientShards(20, { TIERBENCH_CLIENT_SHARDS: '1' })).toBe(1)
    expect(() => clientShards(2, { TIERBENCH_CLIENT_SHARDS: 'many' })).toThrow(/Expected TIERBENCH_CLIENT_SHARDS to be an integer in \[1, 64\], got "many"/)
    expect(() => clientShards(2, { TIERBENCH_CLIENT_SHARDS: '0' })).toThrow(/TIERBENCH_CLIENT_SHARDS/)
  })
})
