import { expect, test } from 'vitest'
import { preflightPrompt, PromptPreflightError, promptCeiling } from '../../../helpers/workload/prompt-preflight'

test('the ceiling is max input minus max_tokens minus the margin, 256 by default', () => {
  expect(promptCeiling({ maxInputTokens: 8192, maxTokens: 256 })).toBe(7680)
  expect(preflightPrompt(7680, { maxInputTokens: 8192, maxTokens: 256 })).toBe(7680)
})

test('an oversize prompt is refused with an error naming the request and every number', () => {
  let caught: unknown
  try {
    preflightPrompt(7681, { maxInputTokens: 8192, maxTokens: 256, requestId: 'fixed_context-000007' })
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(PromptPreflightError)
  expect((caught as Error).message).toBe(
    'Expected request fixed_context-000007 to have at most 7680 prompt tokens (max input 8192 - max_tokens 256 - margin 256), got 7681',
  )
})

test('a custom margin moves the ceiling', () => {
  expect(() => preflightPrompt(8000, { maxInputTokens: 8192, maxTokens: 128, marginTokens: 0 })).not.toThrow()
  expect(() => preflightPrompt(8100, { maxInputTokens: 8192, maxTokens: 128, marginTokens: 0 })).toThrow(/at most 8064/)
})
