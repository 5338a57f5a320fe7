import { describe, expect, it } from 'vitest'
import { g1Blocks, kvBlockBytes, loraAdapterBytes } from '../../../emulator/engine/emulator-profile'
import { batchOneThroughput, decodeStepSeconds, prefillSeconds } from '../../../emulator/engine/perf-model'
import { getProfile, PROFILES } from '../../../emulator/profiles'

describe('performance model', () => {
  it('reproduces every published batch-1 figure within ±10 % at 2048 in / 128 out', () => {
    for (const p of Object.values(PROFILES)) {
      const m = batchOneThroughput(p, 2048, 128)
      if (p.published.prefillTokensPerS) expect(Math.abs(m.prefillTokensPerS / p.published.prefillTokensPerS - 1)).toBeLessThan(0.1)
      if (p.published.decodeTokensPerS) expect(Math.abs(m.decodeTokensPerS / p.published.decodeTokensPerS - 1)).toBeLessThan(0.1)
    }
  })

  it('slows gpt-oss prefill by about 40 % at 32K depth, as llama.cpp measured', () => {
    const p = getProfile('gpt-oss-120b-mxfp4')
    const shallow = 2048 / prefillSeconds(p, 0, 2048)
    const deep = 2048 / prefillSeconds(p, 32768, 2048)
    expect(deep / shallow).toBeGreaterThan(0.55)
    expect(deep / shallow).toBeLessThan(0.65)
  })

  it('makes decode steps longer as the batch holds more KV', () => {
    const p = getProfile('llama31-8b-fp8')
    expect(decodeStepSeconds(p, 32, 32 * 2048)).toBeGreaterThan(decodeStepSeconds(p, 1, 2048))
    // Bandwidth-bound: aggregate throughput still grows with batch.
    expect(32 / decodeStepSeconds(p, 32, 32 * 2048)).toBeGreaterThan(10 / decodeStepSeconds(p, 1, 2048))
  })

  it('derives G1 from free_gpu_memory_fraction × (128 GB − weights) and realistic KV and LoRA sizes', () => {
    const p = getProfile('llama31-8b-fp8')
    expect(kvBlockBytes(p)).toBe(128 * 1024 * 32)
    expect(g1Blocks(p)).toBe(Math.floor((0.8 * (128e9 - p.weightsBytes)) / (128 * 1024 * 32)))
    expect(loraAdapterBytes(p)).toBe(16 * 32 * 16384 * 2 * 2)
    expect(getProfile('tiny').g1BlocksOverride).toBeLessThan(200)
  })

  it('names the valid profiles when asked for an unknown one', () => {
    expect(() => getProfile('llama-9000')).toThrow(/Expected profile to be one of .*tiny.* got "llama-9000"/)
  })
})
