import { describe, expect, test } from 'vitest'
import { applyChatTemplate, encodeTemplated, specialTokensFor } from '../../../helpers/tokenizer/chat-template'
import { getTokenizer } from '../../../helpers/tokenizer/tokenizer'
import { countTemplatedTokens, countTextTokens, encodeLlama3Cached } from '../../../helpers/workload/prompt-token-count'

const samples = [
  'Plain prose with words, punctuation; and numbers 12345 67.',
  "It's what they've said: we'll see, I'd think, you're RIGHT, she'S fine.",
  'code: const x = a[i] + b_j * 0x1f; // comment\n\tif (x >= 10) { return "ok" }\r\n',
  'Whitespace   runs \n\n\n  and trailing spaces   ',
  'Unicode: café naïve 東京 emoji 🙂 — dashes – and “quotes”.',
  '    leading spaces and\n- bullets\n- more\n\n## Heading 12: Title\n',
]

describe('countTextTokens', () => {
  test.each(samples)('equals the real Llama-3 encoder on %j', (text) => {
    expect(countTextTokens('llama3', text)).toBe(getTokenizer('llama3').encode(text).length)
  })
  test('equals the real encoder on a long mixed text, repeated so the cache is exercised', () => {
    const text = samples.join(' ').repeat(200)
    expect(countTextTokens('llama3', text)).toBe(getTokenizer('llama3').encode(text).length)
    expect(countTextTokens('o200k', text)).toBe(getTokenizer('o200k').encode(text).length)
  })
})

describe('countTemplatedTokens', () => {
  test.each(['llama3', 'o200k'] as const)('matches the special-token-aware encoder for %s chat prompts', (tokenizer) => {
    const template = tokenizer === 'llama3' ? 'llama3' : 'harmony'
    const text = applyChatTemplate(template, [
      { role: 'system', content: samples[0] },
      { role: 'user', content: samples.slice(1).join('\n') },
      { role: 'assistant', content: samples[4] },
      { role: 'user', content: 'And again?' },
    ])
    expect(countTemplatedTokens(tokenizer, template, text)).toBe(encodeTemplated(text, getTokenizer(tokenizer), specialTokensFor(template)).length)
  })
})

describe('encodeLlama3Cached', () => {
  test('gives the same ids as the real encoder, on first use and from the cache', () => {
    const text = samples.join(' ').repeat(20)
    const real = getTokenizer('llama3').encode(text)
    expect(encodeLlama3Cached(text)).toEqual(real)
    expect(encodeLlama3Cached(text)).toEqual(real)
  })
})
