import { preflightPrompt } from './prompt-preflight'
import type { BuiltPrompt } from './prompt-fit'
import { type IdentityParams, requestIdentity, sha256 } from './request-identity'
import { generationParams, type GenerationParams, type WorkloadContext } from './workload-context'
import type { ClientRequest, RequestMeta } from './workload-types'

// Turns a sized prompt into what the client sends, with the identity hashes and reuse metadata
// (session, turn, prefix hash) every request must carry, and the oversize-prompt preflight.

export interface RequestInput {
  workload: string
  requestId: string
  prompt: BuiltPrompt
  /** Templated text of the part meant to be shared (shared prefix, session prefix, document). */
  prefixText?: string
  session_id?: string
  turn?: number
  adapter?: string
  needleAnswer?: string | null
  params?: Partial<GenerationParams>
}

export const buildRequest = (ctx: WorkloadContext, r: RequestInput): ClientRequest => {
  const gen = generationParams(ctx, r.params)
  const stream = ctx.stream ?? true
  const endpoint = ctx.endpoint ?? 'chat'
  if (ctx.maxInputTokens)
    preflightPrompt(r.prompt.tokens, { maxInputTokens: ctx.maxInputTokens, maxTokens: gen.max_tokens, marginTokens: ctx.marginTokens, requestId: r.requestId })
  const idParams: IdentityParams = {
    max_tokens: gen.max_tokens,
    temperature: gen.temperature ?? null,
    top_p: gen.top_p ?? null,
    stop: gen.stop ?? null,
    stream,
    seed: gen.seed ?? null,
  }
  // An adapter changes the KV a prompt produces, so it is part of the model identity.
  const model = r.adapter ? `${ctx.model}:${r.adapter}` : ctx.model
  const ids = requestIdentity(model, r.prompt.text, idParams, endpoint === 'chat' ? r.prompt.messages : r.prompt.text)
  // Nonced prompts (PromptResult) carry how much of them a prefix cache may serve; others are unbounded.
  const reusable = (r.prompt as { reusableTokensMax?: number | null }).reusableTokensMax ?? null
  const meta: RequestMeta = {
    request_id: r.requestId,
    workload: r.workload,
    ...(r.session_id !== undefined ? { session_id: r.session_id } : {}),
    ...(r.turn !== undefined ? { turn: r.turn } : {}),
    ...(r.adapter ? { adapter: r.adapter } : {}),
    ...(r.prefixText ? { prefix_hash: sha256(r.prefixText) } : {}),
    ...ids,
    prompt_tokens_expected: r.prompt.tokens,
    ...(reusable !== null ? { reusable_tokens_max: reusable } : {}),
    ...(r.needleAnswer ? { needle_answer: r.needleAnswer, keep_text: true } : {}),
  }
  return {
    endpoint,
    body: {
      ...(endpoint === 'chat' ? { messages: r.prompt.messages } : { prompt: r.prompt.text }),
      max_tokens: gen.max_tokens,
      ...(gen.temperature !== undefined ? { temperature: gen.temperature } : {}),
      ...(gen.top_p !== undefined ? { top_p: gen.top_p } : {}),
      ...(gen.seed !== undefined ? { seed: gen.seed } : {}),
      ...(gen.stop ? { stop: gen.stop } : {}),
      // A needle probe must stop naturally, so its answer is not padded to max_tokens.
      ...(gen.ignore_eos && !r.needleAnswer ? { ignore_eos: true } : {}),
      ...(r.adapter ? { lora: r.adapter } : {}),
    },
    stream,
    meta,
  }
}

/** A new request identical in content (same hashes) under another id, e.g. a replay phase. */
export const withRequestId = (req: ClientRequest, requestId: string): ClientRequest => ({
  ...req,
  meta: { ...req.meta, request_id: requestId },
})
