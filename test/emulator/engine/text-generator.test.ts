import { describe, expect, it } from 'vitest'
import { getTokenizer } from '../../../helpers/tokenizer/tokenizer'
import { type GeneratorInput, TextGenerator } from '../../../emulator/engine/text-generator'
import { wordTokens } from '../../../emulator/engine/word-tokens'

const base: GeneratorInput = {
  tokenizer: 'llama3',
  blockContents: ['00000000000000aa', '00000000000000bb'],
  tailTokens: [1, 2, 3],
  seed: 0,
  ignoreEos: true,
  prefixTokens: [],
}

const text = (input: GeneratorInput, n = 24) => {
  const g = new TextGenerator(input)
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const t = g.next(i)
    if (!t) break
    out.push(t.text)
  }
  return out.join('')
}

describe('TextGenerator', () => {
  it('gives the same text for the same KV content, position and seed', () => {
    expect(text(base)).toBe(text({ ...base }))
  })

  it('changes the text when one block content differs (corrupted KV)', () => {
    expect(text({ ...base, blockContents: ['00000000000000aa', 'corrupted!!!!!!!'] })).not.toBe(text(base))
  })

  it('changes the text with the seed and with the recomputed tail', () => {
    expect(text({ ...base, seed: 7 })).not.toBe(text(base))
    expect(text({ ...base, tailTokens: [1, 2, 4] })).not.toBe(text(base))
  })

  it('emits ordinary one-token words of the profile tokenizer', () => {
    for (const id of ['llama3', 'o200k'] as const) {
      const words = wordTokens(id)
      const tok = getTokenizer(id)
      expect(words.ids.length).toBeGreaterThanOrEqual(64)
      for (const [i, wid] of words.ids.entries()) expect(tok.decode([wid])).toBe(words.texts[i])
      const t = text({ ...base, tokenizer: id })
      expect(t).toMatch(/^( [a-z]+)+$/)
    }
  })

  it('opens with the needle tokens when given and ends by EOS after 16 tokens without ignore_eos', () => {
    const tok = getTokenizer('llama3')
    const answer = tok.encode('PELICAN')
    expect(text({ ...base, prefixTokens: answer }).startsWith('PELICAN')).toBe(true)
    const lengths = Array.from({ length: 20 }, (_, k) => {
      const g = new TextGenerator({ ...base, ignoreEos: false, tailTokens: [k] })
      let i = 0
      while (i < 2000 && g.next(i)) i++
      return i
    })
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(16)
    expect(Math.max(...lengths)).toBeLessThan(2000)
  })
})
