import { describe, expect, test } from 'vitest'
import { createStreamState, parseKvsimTiming } from '../../../helpers/client/stream-state'

const ev = (data: string, event = 'message', complete = true) => ({ event, data, id: null, complete })
const chunk = (o: unknown) => ev(JSON.stringify(o))

describe('stream-state', () => {
  test('first chunk, first token, last token, ITL gaps and text follow the event times', () => {
    const s = createStreamState({ keepItl: true })
    s.event(chunk({ id: 'x', choices: [{ delta: { role: 'assistant', content: '' } }] }), 10)
    s.event(chunk({ id: 'x', choices: [{ delta: { content: 'a' } }] }), 15)
    s.event(chunk({ id: 'x', choices: [{ delta: { content: 'b' } }] }), 15)
    s.event(chunk({ id: 'x', choices: [{ delta: {}, finish_reason: 'stop' }] }), 18)
    s.event(chunk({ id: 'x', choices: [{ delta: { content: 'c' } }] }), 22.5)
    s.event(ev('[DONE]'), 30)
    expect([s.t_first_chunk_ms, s.t_first_token_ms, s.t_last_token_ms, s.t_done_ms]).toEqual([10, 15, 22.5, 30])
    expect(s.itl_ms).toEqual([0, 7.5])
    expect(s.token_events).toBe(3)
    expect(s.text()).toBe('abc')
    expect(s.response_id).toBe('x')
    expect(s.error).toBeNull()
  })

  test('reasoning tokens count as token events but not as answer text', () => {
    const s = createStreamState({ keepItl: false })
    s.event(chunk({ choices: [{ delta: { reasoning_content: 'think' } }] }), 5)
    s.event(chunk({ choices: [{ delta: { content: 'answer' } }] }), 9)
    expect(s.t_first_token_ms).toBe(5)
    expect(s.text()).toBe('answer')
    expect(s.itl_ms).toEqual([])
  })

  test('usage, cached tokens and kvsim timing are read from the usage chunk', () => {
    const s = createStreamState({ keepItl: true })
    s.event(chunk({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 4 } }, kvsim_timing: { received_ns: '100', first_token_ns: '200', last_token_ns: null } }), 1)
    expect(s.usage).toEqual({ prompt_tokens: 7, completion_tokens: 2, cached_tokens: 4 })
    expect(s.kvsim_timing).toEqual({ received_ns: 100n, first_token_ns: 200n, last_token_ns: null })
    expect(parseKvsimTiming({ received_ns: 'not a number' })).toBeNull()
  })

  test('the first error wins: event error, error JSON, bad JSON and a cut final event are classed', () => {
    const a = createStreamState({ keepItl: true })
    a.event(ev('{"error":"boom"}', 'error'), 1)
    a.event(chunk({ error: { message: 'later' } }), 2)
    expect(a.error?.error_class).toBe('stream_error')
    expect(a.error?.message).toContain('boom')
    const b = createStreamState({ keepItl: true })
    b.event(ev('{not json'), 1)
    expect(b.error?.error_class).toBe('stream_error')
    const c = createStreamState({ keepItl: true })
    c.event(ev('{"choi', 'message', false), 1)
    expect(c.error?.error_class).toBe('truncated')
  })
})
