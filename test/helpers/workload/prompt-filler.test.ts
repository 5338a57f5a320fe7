import { describe, expect, test } from 'vitest'
import { getTokenizer } from '../../../helpers/tokenizer/tokenizer'
import { blockText, fillerText } from '../../../helpers/workload/prompt-filler'
import { getPromptCorpus } from '../../../helpers/workload/prompt-corpus'

describe.each(['llama3', 'o200k'] as const)('prompt filler with %s', (tokenizer) => {
  const tok = getTokenizer(tokenizer)
  test('slices have exact sizes and their counts add up when concatenated', () => {
    const parts = [1, 7, 100, 513].map((n, i) => fillerText(tokenizer, n, `part${i}`))
    parts.forEach((p, i) => expect(tok.encode(p).length).toBe([1, 7, 100, 513][i]))
    expect(tok.encode(`Context:${parts.join('')}`).length).toBe(tok.encode('Context:').length + 621)
  })
  test('a slice longer than the corpus wraps around and stays exact', () => {
    const n = getPromptCorpus(tokenizer).ids.length + 1000
    expect(tok.encode(fillerText(tokenizer, n, 'long')).length).toBe(n)
  })
  test('a partial block is a prefix-preserving, exact-size version of the full block', () => {
    const full = blockText(tokenizer, 512, 'h42')
    const part = blockText(tokenizer, 512, 'h42', 300)
    expect(tok.encode(full).length).toBe(512)
    expect(tok.encode(part).length).toBe(300)
    const shared = full.slice(0, Math.min(full.length, part.length))
    let same = 0
    while (same < shared.length && full[same] === part[same]) same++
    expect(same).toBeGreaterThan(part.length * 0.9)
  })
})
