import { z } from 'zod'
import { TokenizerId } from '../tokenizer/tokenizer'
import { ChatTemplateId } from '../tokenizer/chat-template'

/** A served model: how to size its prompts and how much KV a token costs. */
export const ModelSpec = z.strictObject({
  /** kebab-case id; equals the kvsim profile name and the file name in configs/models/. */
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { error: 'a kebab-case id' }),
  served_name: z.string().min(1),
  hf_id: z.string().min(1).optional(),
  tokenizer: TokenizerId,
  chat_template: ChatTemplateId,
  /** Largest prompt the engine accepts (TRT-LLM max_num_tokens / max input). */
  max_input_tokens: z.int().positive(),
  /** 2 x layers x KV heads x head dim x bytes per element (reference/spark-and-storage-numbers.md §3). */
  kv_bytes_per_token: z.int().positive(),
  kv_dtype: z.enum(['bf16', 'fp8']),
  tokens_per_block: z.int().positive().default(32),
  /** SLO preset id used when the run does not name one. */
  slo: z.string().min(1),
  notes: z.string().optional(),
})
export type ModelSpec = z.infer<typeof ModelSpec>

/** KV bytes a prompt occupies, whole blocks (what a tier stores). */
export const kvBytesForTokens = (model: ModelSpec, tokens: number): number =>
  Math.ceil(tokens / model.tokens_per_block) * model.tokens_per_block * model.kv_bytes_per_token
