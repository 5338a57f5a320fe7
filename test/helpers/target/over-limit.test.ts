import { describe, expect, it } from 'vitest'
import { overLimitBehaviour } from '../../../helpers/target/over-limit'
import { workloadContextFor } from '../../../helpers/workload/workload-context'
import { fixedContext } from '../../../helpers/workload/fixed-context'
import { PromptPreflightError } from '../../../helpers/workload/prompt-preflight'
import type { ModelSpec } from '../../../helpers/config/model-spec'

const tiny: ModelSpec = {
  id: 'tiny', served_name: 'kvsim/tiny', tokenizer: 'llama3', chat_template: 'llama3', max_input_tokens: 8192,
  kv_bytes_per_token: 32768, kv_dtype: 'bf16', tokens_per_block: 32, slo: 'mlperf-llama31-8b',
}

describe('over-limit probes by target', () => {
  it('sends over-limit prompts only to servers that refuse them cleanly', () => {
    expect(overLimitBehaviour({ kind: 'emulator' })).toBe('rejects')
    expect(overLimitBehaviour({ kind: 'llamacpp' })).toBe('rejects')
    expect(overLimitBehaviour({ kind: 'dynamo' })).toBe('unregisters')
    expect(overLimitBehaviour({ kind: 'external' })).toBe('unknown')
    // A driver that knows its server (llama.cpp, vLLM) says so.
    expect(overLimitBehaviour({ kind: 'external', overLimit: 'rejects' })).toBe('rejects')
  })

  it('refuses the over-limit prompt before it is sent when the preflight is on (the evidence on Dynamo)', () => {
    const ctx = workloadContextFor(tiny, 1, { model: 'kvsim/tiny', maxInputTokens: 8192 })
    const w = fixedContext(ctx, { name: 'h2a-overlimit', contextTokens: 8192 + 256, requests: 1, params: { max_tokens: 16 } })
    expect(() => (w.kind === 'stream' ? w.source.next() : null)).toThrow(PromptPreflightError)
  })
})
