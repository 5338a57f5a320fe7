import { z } from 'zod'

// Dataset tiers of the canonical plan (W0.1): S is interactive (≤ 8k input tokens, no engine
// rebuild), L is long-context (≥ 32k, needs an engine built for it). Sizes are exact prompt
// tokens after the chat template.

export const DatasetId = z.enum(['S', 'L'])
export type DatasetId = z.infer<typeof DatasetId>

const Tokens = z.int().positive()

export const Dataset = z
  .strictObject({
    id: DatasetId,
    description: z.string(),
    min_input_tokens: Tokens,
    max_input_tokens: Tokens,
    /** Prompt sizes a sweep or a fixed-context workload picks from. */
    context_menu: z.array(Tokens).min(1),
    /** Smallest engine max input the tier needs (prompt + max_tokens + margin must fit). */
    requires_engine_max_input_tokens: Tokens,
    /** Generation budget per request. */
    max_tokens: Tokens,
    /** Family A: shared project prefix. */
    prefix_tokens: Tokens,
    /** Family A/C: short query or question appended to the shared part. */
    query_tokens: Tokens,
    /** Family B: user/tool turn size; tool_output_tokens: repeated tool output size. */
    turn_tokens: Tokens,
    tool_output_tokens: Tokens,
    /** Family C: document sizes (total prompt tokens) and questions asked per document. */
    document_tokens: z.array(Tokens).min(1),
    questions_per_document: z.int().min(1),
  })
  .superRefine((d, ctx) => {
    const issue = (path: string, message: string, input: unknown) =>
      ctx.addIssue({ code: 'custom', path: [path], message, input })
    if (d.id === 'S' && d.max_input_tokens > 8192) issue('max_input_tokens', 'at most 8192 for dataset S', d.max_input_tokens)
    if (d.id === 'L' && d.min_input_tokens < 32768) issue('min_input_tokens', 'at least 32768 for dataset L', d.min_input_tokens)
    if (d.min_input_tokens > d.max_input_tokens) issue('min_input_tokens', `at most max_input_tokens (${d.max_input_tokens})`, d.min_input_tokens)
    for (const [key, sizes] of [['context_menu', d.context_menu], ['document_tokens', d.document_tokens]] as const)
      for (const n of sizes)
        if (n < d.min_input_tokens || n > d.max_input_tokens)
          issue(key, `sizes within [${d.min_input_tokens}, ${d.max_input_tokens}]`, n)
    if (d.max_input_tokens + d.max_tokens > d.requires_engine_max_input_tokens)
      issue('requires_engine_max_input_tokens', `at least max_input_tokens + max_tokens (${d.max_input_tokens + d.max_tokens})`, d.requires_engine_max_input_tokens)
  })
export type Dataset = z.infer<typeof Dataset>

export const DATASET_DEFAULTS: Record<DatasetId, Dataset> = {
  S: {
    id: 'S',
    description: 'Short/interactive: prompts and sessions up to 8k input tokens (typical assistant + light RAG)',
    min_input_tokens: 256,
    max_input_tokens: 7600,
    // 7600 leaves max_tokens + the 256-token margin under an 8192-token engine (prior harness lesson).
    context_menu: [512, 768, 1024, 1536, 2048, 4096, 6144, 7600],
    requires_engine_max_input_tokens: 8192,
    max_tokens: 256,
    prefix_tokens: 3072,
    query_tokens: 64,
    turn_tokens: 256,
    tool_output_tokens: 384,
    document_tokens: [4096, 6144, 7600],
    questions_per_document: 4,
  },
  L: {
    id: 'L',
    description: 'Long-context: prompts of 32k input tokens and more (RAG summarization, long shared prefixes)',
    min_input_tokens: 32768,
    max_input_tokens: 122880,
    context_menu: [32768, 49152, 65536, 98304, 122880],
    requires_engine_max_input_tokens: 131072,
    max_tokens: 256,
    prefix_tokens: 32768,
    query_tokens: 128,
    turn_tokens: 1024,
    tool_output_tokens: 2048,
    document_tokens: [32768, 65536],
    questions_per_document: 4,
  },
}
