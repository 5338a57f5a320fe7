import { expect, test } from 'vitest'
import { agentLoop } from '../../../helpers/workload/agent-loop'
import type { SessionSource } from '../../../helpers/workload/workload-types'

const ctx = { model: 'm', tokenizer: 'o200k' as const, template: 'harmony' as const, seed: 5 }

test('the scratchpad grows each turn, repeats tool outputs and keeps the agent’s answers', () => {
  const session = (agentLoop(ctx, { sessions: 1, turns: 5, toolOutputTokens: 64, distinctToolOutputs: 2 }).source as SessionSource).sessions()[0]
  const sizes: number[] = []
  let prev = null
  let last = null
  for (let t = 0; t < 6; t++) {
    const item = session.nextTurn(prev)
    if (!item) break
    last = item
    sizes.push(item.request.meta.prompt_tokens_expected)
    prev = { ok: true, output_text: `Calling tool ${t}.` }
  }
  expect(sizes).toHaveLength(5)
  for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeGreaterThan(sizes[i - 1])
  const users = (last?.request.body.messages ?? []).filter((m) => m.role === 'user').map((m) => m.content)
  expect(users[0].startsWith('Task:')).toBe(true)
  // Turns 1 and 3 carry the same tool output, turns 2 and 4 the other one.
  expect(users[3]).toBe(users[1])
  expect(users[4]).toBe(users[2])
  expect(users[1]).not.toBe(users[2])
  expect(last?.request.body.messages?.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual([
    'Calling tool 0.', 'Calling tool 1.', 'Calling tool 2.', 'Calling tool 3.',
  ])
})
