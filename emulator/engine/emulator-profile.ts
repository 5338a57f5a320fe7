import { z } from 'zod'
import { TokenizerId } from '../../helpers/tokenizer/tokenizer'

// One served model on one machine: what kvsim's performance model and block manager need.
// Numbers come from reference/spark-and-storage-numbers.md; `published` keeps the figures the
// calibration bench compares against.
export const EmulatorProfile = z.object({
  name: z.string().min(1),
  servedModelName: z.string().min(1),
  tokenizer: TokenizerId,
  chatTemplate: z.enum(['llama3', 'harmony']),
  /** Resident weights (what G1 capacity is carved out of). */
  weightsBytes: z.number().positive(),
  /** Weights read per decode step at batch 1 (all weights for dense models, active experts for MoE). */
  decodeReadBytes: z.number().positive(),
  /** MoE: weights read grow as batch^exponent (more experts touched); 0 for dense models. */
  decodeBatchExponent: z.number().nonnegative(),
  /** Peak memory bandwidth (Spark LPDDR5x: 273 GB/s). Weights read per step never exceed weightsBytes. */
  memoryBandwidthBytesPerS: z.number().positive(),
  /** Fraction of peak bandwidth a decode step achieves (calibrated against published batch-1 decode). */
  memoryEfficiency: z.number().positive().max(1),
  /** Prefill rate at context depth 0, tokens/s. */
  prefillTokensPerS: z.number().positive(),
  /** Per-token prefill cost grows by this fraction per 32K tokens of depth (0.66 → −40 % rate at 32K). */
  prefillDepthSlowdown: z.number().nonnegative(),
  /** KV bytes per token that grow with context (full-attention layers, bf16). */
  kvBytesPerToken: z.number().int().positive(),
  /** Fixed KV bytes per sequence (sliding-window layers), read on every decode step. */
  kvFixedBytesPerSeq: z.number().int().nonnegative(),
  tokensPerBlock: z.number().int().positive(),
  maxBatchSize: z.number().int().positive(),
  /** Token budget of one iteration (chunked prefill). */
  maxNumTokens: z.number().int().positive(),
  maxInputTokens: z.number().int().positive(),
  freeGpuMemoryFraction: z.number().positive().max(1),
  totalMemoryBytes: z.number().positive(),
  /** Fixed G1 size in blocks (tiny profile); otherwise derived from memory, fraction and weights. */
  g1BlocksOverride: z.number().int().positive().optional(),
  /** Caps on G2/G3 blocks derived from DYN_KVBM_*_GB (tiny profile; *_OVERRIDE_NUM_BLOCKS still wins). */
  g2MaxBlocks: z.number().int().positive().optional(),
  g3MaxBlocks: z.number().int().positive().optional(),
  /** Host (G2) → device copy rate, bytes/s (measured CPU→GPU on Spark: 52.4 GB/s). */
  hostCopyBytesPerS: z.number().positive(),
  lora: z.object({
    rank: z.number().int().positive(),
    layers: z.number().int().positive(),
    /** Sum over the adapted projections of their hidden size (q,k,v,o → 4 × hidden). */
    dims: z.number().int().positive(),
    bytesPerParam: z.number().positive(),
    maxLoras: z.number().int().positive(),
  }),
  published: z.object({
    prefillTokensPerS: z.number().positive().nullable(),
    decodeTokensPerS: z.number().positive().nullable(),
    source: z.string(),
  }),
})
export type EmulatorProfile = z.infer<typeof EmulatorProfile>

/** Bytes of one full KV block (real size, before --io-scale). */
export const kvBlockBytes = (p: EmulatorProfile): number => p.kvBytesPerToken * p.tokensPerBlock

/** G1 blocks: free_gpu_memory_fraction × (memory − weights) ÷ block bytes, as TRT-LLM sizes its pool. */
export const g1Blocks = (p: EmulatorProfile): number =>
  p.g1BlocksOverride ?? Math.max(1, Math.floor((p.freeGpuMemoryFraction * (p.totalMemoryBytes - p.weightsBytes)) / kvBlockBytes(p)))

/** Bytes of one LoRA adapter (A and B matrices for every adapted projection of every layer). */
export const loraAdapterBytes = (p: EmulatorProfile): number =>
  p.lora.rank * p.lora.layers * p.lora.dims * 2 * p.lora.bytesPerParam
