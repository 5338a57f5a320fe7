import type { ModelSpec } from '../config/model-spec'
import type { ChatTemplateId } from '../tokenizer/chat-template'
import type { TokenizerId } from '../tokenizer/tokenizer'

// What every workload needs to know about the model and the request shape. Built from a ModelSpec
// (workloadContextFor) so prompt sizes, hashes and preflight agree with the run's config.

export interface GenerationParams {
  /** @default 256 */
  max_tokens: number
  /** @default 0 (greedy: identical requests produce identical outputs) */
  temperature?: number
  /** @default 1 */
  top_p?: number
  stop?: string[]
  /** Sent as the payload `seed`. */
  seed?: number
  /** Generate exactly max_tokens so output length is a controlled variable. @default true */
  ignore_eos?: boolean
}

export interface WorkloadContext {
  /** Served model name (part of every identity hash). */
  model: string
  tokenizer: TokenizerId
  template: ChatTemplateId
  /** Workload seed: same seed, same requests. */
  seed: number
  /** `chat` sends messages (the server applies the template); `completions` sends the templated string. @default 'chat' */
  endpoint?: 'chat' | 'completions'
  /** @default true */
  stream?: boolean
  params?: Partial<GenerationParams>
  /** Engine max input; when set every request is preflighted against it. */
  maxInputTokens?: number | null
  /** @default 256 */
  marginTokens?: number
}

export const DEFAULT_GENERATION: GenerationParams = { max_tokens: 256, temperature: 0, top_p: 1, ignore_eos: true }

export const generationParams = (ctx: WorkloadContext, overrides: Partial<GenerationParams> = {}): GenerationParams => ({
  ...DEFAULT_GENERATION,
  ...ctx.params,
  ...overrides,
})

export const workloadContextFor = (model: ModelSpec, seed: number, extra: Partial<WorkloadContext> = {}): WorkloadContext => ({
  model: model.served_name,
  tokenizer: model.tokenizer,
  template: model.chat_template,
  seed,
  maxInputTokens: model.max_input_tokens,
  ...extra,
})
