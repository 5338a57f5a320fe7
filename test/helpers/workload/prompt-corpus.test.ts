import { describe, expect, test } from 'vitest'
import { getTokenizer } from '../../../helpers/tokenizer/tokenizer'
import { getPromptCorpus } from '../../../helpers/workload/prompt-corpus'

describe.each(['llama3', 'o200k'] as const)('the %s prompt corpus', (tokenizer) => {
  const c = getPromptCorpus(tokenizer)
  test('holds the real tokenizer’s ids of its text and is long enough for a 128k prompt', () => {
    const real = getTokenizer(tokenizer).encode(c.text)
    expect(real.length).toBe(c.ids.length)
    expect(real.every((id, i) => id === c.ids[i])).toBe(true)
    expect(c.ids.length).toBeGreaterThan(131072)
  })
  test('is section/bullet prose with many clean cut points', () => {
    expect(c.text).toMatch(/\n\n## Section \d+: \w+ \w+\n/)
    expect(c.text).toMatch(/\n- [A-Z]/)
    const cuts = c.cut.reduce((s, x) => s + x, 0)
    expect(cuts / c.ids.length).toBeGreaterThan(0.5)
  })
})
