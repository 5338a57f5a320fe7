import { describe, expect, test } from 'vitest'
import { tokenizeChat } from '../../../helpers/tokenizer/chat-template'
import { getTokenizer, type TokenizerId } from '../../../helpers/tokenizer/tokenizer'
import { buildPrompt } from '../../../helpers/workload/prompt-builder'
import { sha256 } from '../../../helpers/workload/request-identity'

const cases: Array<[TokenizerId, 'llama3' | 'harmony']> = [
  ['llama3', 'llama3'],
  ['o200k', 'harmony'],
]
const realCount = (tokenizer: TokenizerId, template: 'llama3' | 'harmony', messages: Parameters<typeof tokenizeChat>[1]) =>
  tokenizeChat(template, messages, getTokenizer(tokenizer)).length

describe.each(cases)('buildPrompt with %s', (tokenizer, template) => {
  test.each([512, 8192, 32768])('a %i-token prompt is exactly that many tokens for the real tokenizer after the template', (tokens) => {
    const p = buildPrompt({ tokenizer, template, tokens, key: `k${tokens}` })
    expect(p.tokens).toBe(tokens)
    expect(realCount(tokenizer, template, p.messages)).toBe(tokens)
  })

  test('a nonce keeps the size fixed and changes the prefix hash', () => {
    const a = buildPrompt({ tokenizer, template, tokens: 2048, key: 'same', nonce: 'user-1' })
    const b = buildPrompt({ tokenizer, template, tokens: 2048, key: 'same', nonce: 'user-2' })
    const plain = buildPrompt({ tokenizer, template, tokens: 2048, key: 'same' })
    expect(realCount(tokenizer, template, a.messages)).toBe(2048)
    expect(realCount(tokenizer, template, b.messages)).toBe(2048)
    expect(sha256(a.prefixText)).not.toBe(sha256(b.prefixText))
    expect(sha256(a.prefixText)).not.toBe(sha256(plain.prefixText))
    // Different nonces differ within the first few tokens, so no prefix block can be shared.
    expect(a.text.slice(0, 80)).not.toBe(b.text.slice(0, 80))
  })

  test('the same key gives the same prompt and another key a different one', () => {
    const a = buildPrompt({ tokenizer, template, tokens: 4096, key: 'seed-1' })
    const again = buildPrompt({ tokenizer, template, tokens: 4096, key: 'seed-1' })
    const other = buildPrompt({ tokenizer, template, tokens: 4096, key: 'seed-2' })
    expect(again.text).toBe(a.text)
    expect(other.text).not.toBe(a.text)
  })

  test('a needle is planted near the requested depth with its question and stays exact in size', () => {
    const p = buildPrompt({ tokenizer, template, tokens: 4000, key: 'n', needle: { depth: 0.25 } })
    expect(p.needleAnswer).toMatch(/^[A-Z]+-\d{4}$/)
    const sentence = `The secret code word is "${p.needleAnswer}".`
    const user = p.messages[1].content
    const at = user.indexOf(sentence)
    expect(at).toBeGreaterThan(0)
    expect(at / user.length).toBeGreaterThan(0.15)
    expect(at / user.length).toBeLessThan(0.35)
    expect(user.endsWith('What is the secret code word? Answer with the code word only.')).toBe(true)
    expect(realCount(tokenizer, template, p.messages)).toBe(4000)
  })
})

test('a target smaller than the fixed parts is refused with the numbers', () => {
  expect(() => buildPrompt({ tokenizer: 'llama3', template: 'llama3', tokens: 10, key: 'x' })).toThrow(/Expected prompt x to be at least \d+ tokens .* got a target of 10/)
})
