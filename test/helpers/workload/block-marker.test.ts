import { describe, expect, test } from 'vitest'
import { blockMarker, markerWords } from '../../../helpers/workload/block-marker'
import { getTokenizer } from '../../../helpers/tokenizer/tokenizer'

describe('block markers', () => {
  test('4096 distinct single-token words, so two markers differ in a first or second token below 4096² ids', () => {
    for (const id of ['llama3', 'o200k'] as const) {
      const words = markerWords(id)
      expect(new Set(words).size).toBe(4096)
      const t = getTokenizer(id)
      for (const w of words.slice(0, 200)) expect(t.encode(w)).toHaveLength(1)
    }
    const t = getTokenizer('llama3')
    const seen = new Set<string>()
    for (const id of [0, 1, 4095, 4096, 4097, 182_789, 16_777_215]) {
      const m = blockMarker('llama3', id)
      expect(t.encode(`log:${m}`)).toHaveLength(2 + 2)
      expect(seen.has(m)).toBe(false)
      seen.add(m)
    }
    expect(blockMarker('llama3', 77, 1)).toBe(blockMarker('llama3', 77).slice(0, blockMarker('llama3', 77, 1).length))
  })
})
