import { EmulatorProfile } from './engine/emulator-profile'

export { EmulatorProfile }

// Calibration (see docs/kvsim-engine.md and `npm run bench:emulator-calibration`):
// - memoryEfficiency = (decodeReadBytes + KV of 2,112 tokens) × published decode tok/s ÷ 273 GB/s,
//   i.e. the share of peak bandwidth the published batch-1 decode rate implies.
// - prefillTokensPerS = published 2048-token rate × (1 + slowdown / 32), because that rate averages
//   over depths 0–2048.
// - prefillDepthSlowdown 0.66 for gpt-oss from llama.cpp's 1,937 → 1,155 tok/s at 32K; 0.5 for
//   Llama is an assumption (no published depth sweep on Spark).

const GB = 1e9
const KIB = 1024
const SPARK = {
  memoryBandwidthBytesPerS: 273 * GB,
  totalMemoryBytes: 128 * GB,
  hostCopyBytesPerS: 52.4 * GB,
  freeGpuMemoryFraction: 0.8,
  tokensPerBlock: 32,
} as const

const llama8bLora = { rank: 16, layers: 32, dims: 4 * 4096, bytesPerParam: 2, maxLoras: 8 }

export const PROFILES: Record<string, EmulatorProfile> = {
  'llama31-8b-nvfp4': EmulatorProfile.parse({
    ...SPARK,
    name: 'llama31-8b-nvfp4',
    servedModelName: 'meta-llama/Llama-3.1-8B-Instruct',
    tokenizer: 'llama3',
    chatTemplate: 'llama3',
    // FP4 linear layers (~3.9 GB with scales) + bf16 embeddings and lm_head (1.05 GB each).
    weightsBytes: 6.0 * GB,
    decodeReadBytes: 5.0 * GB,
    decodeBatchExponent: 0,
    memoryEfficiency: 0.747,
    prefillTokensPerS: 10417,
    prefillDepthSlowdown: 0.5,
    kvBytesPerToken: 128 * KIB,
    kvFixedBytesPerSeq: 0,
    maxBatchSize: 64,
    maxNumTokens: 8192,
    maxInputTokens: 8192,
    lora: llama8bLora,
    published: { prefillTokensPerS: 10256.9, decodeTokensPerS: 38.65, source: 'NVIDIA blog, TRT-LLM, 2048/128, batch 1 (Oct 2025)' },
  }),
  'llama31-8b-fp8': EmulatorProfile.parse({
    ...SPARK,
    name: 'llama31-8b-fp8',
    servedModelName: 'meta-llama/Llama-3.1-8B-Instruct',
    tokenizer: 'llama3',
    chatTemplate: 'llama3',
    weightsBytes: 9.08 * GB,
    decodeReadBytes: 8.03 * GB,
    decodeBatchExponent: 0,
    memoryEfficiency: 0.624,
    prefillTokensPerS: 8116,
    prefillDepthSlowdown: 0.5,
    kvBytesPerToken: 128 * KIB,
    kvFixedBytesPerSeq: 0,
    maxBatchSize: 64,
    maxNumTokens: 8192,
    maxInputTokens: 8192,
    lora: llama8bLora,
    published: { prefillTokensPerS: 7991, decodeTokensPerS: 20.5, source: 'LMSYS review, SGLang, batch 1 (2025-10-13)' },
  }),
  'llama33-70b-nvfp4': EmulatorProfile.parse({
    ...SPARK,
    name: 'llama33-70b-nvfp4',
    servedModelName: 'meta-llama/Llama-3.3-70B-Instruct',
    tokenizer: 'llama3',
    chatTemplate: 'llama3',
    // 40.61 GB read per token is the roofline input of dgx-spark-playbooks PR #91.
    weightsBytes: 40.6 * GB,
    decodeReadBytes: 40.0 * GB,
    decodeBatchExponent: 0,
    memoryEfficiency: 0.611,
    // No published NVFP4 prefill on Spark: 8B NVFP4's rate × 8/70 ≈ 1,170, SGLang 70B FP8 803; 1,100 sits between.
    prefillTokensPerS: 1117,
    prefillDepthSlowdown: 0.5,
    kvBytesPerToken: 320 * KIB,
    kvFixedBytesPerSeq: 0,
    maxBatchSize: 32,
    maxNumTokens: 8192,
    maxInputTokens: 32768,
    lora: { rank: 16, layers: 80, dims: 4 * 8192, bytesPerParam: 2, maxLoras: 4 },
    published: { prefillTokensPerS: null, decodeTokensPerS: 4.1, source: 'dgx-spark-playbooks #79, vLLM, single stream 4.0–4.2 (2026-04-25)' },
  }),
  'gpt-oss-120b-mxfp4': EmulatorProfile.parse({
    ...SPARK,
    name: 'gpt-oss-120b-mxfp4',
    servedModelName: 'openai/gpt-oss-120b',
    tokenizer: 'o200k',
    chatTemplate: 'harmony',
    weightsBytes: 63 * GB,
    // ~5.1B active parameters per token; more experts are touched as the batch grows
    // (exponent 0.54 reproduces llama.cpp's 231 tok/s aggregate at batch 32).
    decodeReadBytes: 3.2 * GB,
    decodeBatchExponent: 0.54,
    memoryEfficiency: 0.685,
    prefillTokensPerS: 1868,
    prefillDepthSlowdown: 0.66,
    kvBytesPerToken: 36 * KIB,
    kvFixedBytesPerSeq: 4.5 * 1024 * KIB,
    maxBatchSize: 32,
    maxNumTokens: 8192,
    maxInputTokens: 131072,
    lora: { rank: 16, layers: 36, dims: 4 * 2880, bytesPerParam: 2, maxLoras: 4 },
    published: { prefillTokensPerS: 1830, decodeTokensPerS: 57, source: 'NVIDIA blog 1,725/55.4 and llama.cpp bench 1,937/59.0, midpoint (Oct–Nov 2025)' },
  }),
  // Fast CI: tiers small enough that a few thousand tokens evict, blocks of 1 MiB before --io-scale.
  tiny: EmulatorProfile.parse({
    ...SPARK,
    name: 'tiny',
    servedModelName: 'kvsim/tiny',
    tokenizer: 'llama3',
    chatTemplate: 'llama3',
    weightsBytes: 1 * GB,
    decodeReadBytes: 1 * GB,
    decodeBatchExponent: 0,
    memoryEfficiency: 1,
    prefillTokensPerS: 50000,
    prefillDepthSlowdown: 0.5,
    kvBytesPerToken: 32 * KIB,
    kvFixedBytesPerSeq: 0,
    maxBatchSize: 64,
    maxNumTokens: 8192,
    maxInputTokens: 8192,
    g1BlocksOverride: 96,
    g2MaxBlocks: 192,
    g3MaxBlocks: 768,
    lora: { rank: 8, layers: 4, dims: 4096, bytesPerParam: 2, maxLoras: 4 },
    published: { prefillTokensPerS: null, decodeTokensPerS: null, source: 'synthetic CI profile' },
  }),
}

export const getProfile = (name: string): EmulatorProfile => {
  const p = PROFILES[name]
  if (!p) throw new Error(`Expected profile to be one of ${Object.keys(PROFILES).join(', ')}; got ${JSON.stringify(name)}`)
  return p
}
