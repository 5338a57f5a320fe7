import { describe, expect, it } from 'vitest'
import {
  applyChatTemplate,
  countChatTokens,
  encodeTemplated,
  LLAMA3_SPECIAL_TOKENS,
  tokenizeChat,
} from '../../../helpers/tokenizer/chat-template'
import { getTokenizer } from '../../../helpers/tokenizer/tokenizer'

const llama = getTokenizer('llama3')
const o200k = getTokenizer('o200k')
const messages = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: '  What is KV cache tiering?\n' },
]

describe('applyChatTemplate', () => {
  it('renders the Llama-3 template with headers, trimmed content and the assistant prompt', () => {
    expect(applyChatTemplate('llama3', messages)).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nWhat is KV cache tiering?<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    )
  })

  it('omits the assistant header when addGenerationPrompt is false', () => {
    const text = applyChatTemplate('llama3', messages, { addGenerationPrompt: false })
    expect(text.endsWith('What is KV cache tiering?<|eot_id|>')).toBe(true)
    expect(text).not.toContain('assistant')
  })

  it('renders harmony messages between start, message and end markers', () => {
    expect(applyChatTemplate('harmony', [{ role: 'user', content: 'hi' }])).toBe(
      '<|start|>user<|message|>hi<|end|><|start|>assistant',
    )
  })
})

describe('tokenizeChat and countChatTokens', () => {
  it('counts each Llama-3 special marker as exactly one token', () => {
    const ids = tokenizeChat('llama3', messages, llama)
    const specials = new Set(Object.values(LLAMA3_SPECIAL_TOKENS))
    // BOS + 3 × (start, end header) + 2 × eot
    expect(ids.filter((id) => specials.has(id))).toHaveLength(1 + 3 * 2 + 2)
    expect(ids[0]).toBe(128000)
    expect(ids.at(-1)).toBe(llama.encode('\n\n')[0])
  })

  it('equals the sum of the encoded text segments plus the special markers', () => {
    const expected =
      1 + 2 + llama.count('system') + llama.count('\n\nYou are terse.') + 1 +
      2 + llama.count('user') + llama.count('\n\nWhat is KV cache tiering?') + 1 +
      2 + llama.count('assistant') + llama.count('\n\n')
    expect(countChatTokens('llama3', messages, llama)).toBe(expected)
  })

  it('grows with the content length', () => {
    const short = countChatTokens('llama3', [{ role: 'user', content: 'a b c' }], llama)
    const long = countChatTokens('llama3', [{ role: 'user', content: 'a b c '.repeat(100) }], llama)
    expect(long).toBeGreaterThan(short + 200)
  })

  it('maps harmony markers to their o200k_harmony ids', () => {
    const ids = tokenizeChat('harmony', [{ role: 'user', content: 'hi' }], o200k)
    expect(ids[0]).toBe(200006)
    expect(ids).toContain(200008)
    expect(ids).toContain(200007)
    expect(ids).toHaveLength(4 + o200k.count('user') + o200k.count('hi') + o200k.count('assistant'))
  })
})

describe('encodeTemplated', () => {
  it('maps special-token strings inside a completions prompt to their ids', () => {
    expect(encodeTemplated('a<|eot_id|>b', llama)).toEqual([...llama.encode('a'), 128009, ...llama.encode('b')])
  })

  it('encodes a prompt without markers exactly like the plain tokenizer', () => {
    const text = 'The secret code word is "ORCHID". Remember it.'
    expect(encodeTemplated(text, llama)).toEqual(llama.encode(text))
  })
})
