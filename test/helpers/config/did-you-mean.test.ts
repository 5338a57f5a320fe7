import { describe, expect, it } from 'vitest'
import { didYouMean, editDistance } from '../../../helpers/config/did-you-mean'

describe('didYouMean', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('PROFLE', 'PROFILE')).toBe(1)
    expect(editDistance('abc', 'abc')).toBe(0)
    expect(editDistance('', 'ab')).toBe(2)
    expect(editDistance('h2b', 'h4b')).toBe(1)
    expect(didYouMean('h2', ['h0', 'h2a', 'h2b'])).toBe('h2a')
  })

  it('suggests the closest name within a typo distance, and nothing for an unrelated word', () => {
    const names = ['TIERBENCH_PROFILE', 'TIERBENCH_SEED', 'TIERBENCH_TARGET']
    expect(didYouMean('TIERBENCH_PROFLE', names)).toBe('TIERBENCH_PROFILE')
    expect(didYouMean('tierbench_target', names)).toBe('TIERBENCH_TARGET')
    expect(didYouMean('TIERBENCH_COMPLETELY_DIFFERENT', names)).toBeNull()
  })
})
