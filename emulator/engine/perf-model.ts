import { type EmulatorProfile, kvBlockBytes } from './emulator-profile'

// The performance model in seconds of modeled time (before --time-scale). Prefill is compute-bound
// and slows with context depth; decode is bandwidth-bound: every step reads the weights once plus
// the KV of every sequence in the batch.

const DEPTH_UNIT_TOKENS = 32768

/** Seconds to prefill `tokens` new tokens that start at context depth `startDepth`. */
export const prefillSeconds = (p: EmulatorProfile, startDepth: number, tokens: number): number => {
  if (tokens <= 0) return 0
  // Per-token cost grows linearly with depth, so a chunk costs its length at its mid-point depth.
  const midDepth = startDepth + tokens / 2
  return (tokens * (1 + (p.prefillDepthSlowdown * midDepth) / DEPTH_UNIT_TOKENS)) / p.prefillTokensPerS
}

/** Weights bytes read by one decode step of `batch` sequences (MoE touches more experts as batch grows). */
export const decodeWeightBytes = (p: EmulatorProfile, batch: number): number =>
  Math.min(p.weightsBytes, p.decodeReadBytes * Math.max(1, batch) ** p.decodeBatchExponent)

/** Seconds of one decode step for `batch` sequences holding `totalContextTokens` tokens of KV together. */
export const decodeStepSeconds = (p: EmulatorProfile, batch: number, totalContextTokens: number): number => {
  if (batch <= 0) return 0
  const kvBytes = totalContextTokens * p.kvBytesPerToken + batch * p.kvFixedBytesPerSeq
  return (decodeWeightBytes(p, batch) + kvBytes) / (p.memoryBandwidthBytesPerS * p.memoryEfficiency)
}

/** Seconds to copy `blocks` KV blocks from host memory (G2) to the device (G1). */
export const hostOnboardSeconds = (p: EmulatorProfile, blocks: number): number =>
  (blocks * kvBlockBytes(p)) / p.hostCopyBytesPerS

/** Seconds to copy a LoRA adapter of `bytes` into device memory after it was read. */
export const loraCopySeconds = (p: EmulatorProfile, bytes: number): number => bytes / p.hostCopyBytesPerS

/** Modeled batch-1 throughput for `inputTokens` in / `outputTokens` out, as NVIDIA measures it. */
export const batchOneThroughput = (
  p: EmulatorProfile,
  inputTokens: number,
  outputTokens: number,
): { prefillTokensPerS: number; decodeTokensPerS: number } => {
  let prefill = 0
  for (let done = 0; done < inputTokens; done += p.maxNumTokens) {
    const n = Math.min(p.maxNumTokens, inputTokens - done)
    prefill += prefillSeconds(p, done, n)
  }
  let decode = 0
  for (let i = 0; i < outputTokens; i++) decode += decodeStepSeconds(p, 1, inputTokens + i)
  return { prefillTokensPerS: inputTokens / prefill, decodeTokensPerS: outputTokens / decode }
}
