import type { GenerationParams, WorkloadContext } from './workload-context'
import { buildPrompt } from './prompt-builder'
import { buildRequest } from './request-builder'
import { requestId, streamOf, streamWorkload } from './request-stream'
import { createRng, seedFrom } from './seeded-random'
import type { Workload } from './workload-types'

// Fixed context (v3.0 plan: H0, H2A, H2B): N-token prompts. Like the prior loadgen, every request
// reuses one prompt body unless told otherwise; a per-user nonce makes each user's prompts unique
// at the first token without changing their size.

export interface FixedContextOptions {
  /** @default 'fixed_context' */
  name?: string
  /** One size, or a menu picked per request (seeded). */
  contextTokens: number | readonly number[]
  /** @default unbounded (the executor stops by time or by the profile's request cap) */
  requests?: number
  /** Distinct prompt bodies, request i uses body i % pool. @default 1 */
  promptPool?: number
  /** Users that requests rotate over (request i belongs to user i % users). @default 1 */
  users?: number
  /** none: identical prompts share everything; per_user / per_request: a nonce busts reuse. @default 'none' */
  nonce?: 'none' | 'per_user' | 'per_request'
  /** Integrity probe planted at this depth in every prompt. */
  needle?: { depth: number } | null
  params?: Partial<GenerationParams>
}

export const fixedContext = (ctx: WorkloadContext, o: FixedContextOptions): Workload => {
  const name = o.name ?? 'fixed_context'
  const menu = typeof o.contextTokens === 'number' ? [o.contextTokens] : [...o.contextTokens]
  const users = o.users ?? 1
  const pool = o.promptPool ?? 1
  return streamWorkload(
    streamOf(name, o.requests ?? Number.POSITIVE_INFINITY, (i) => {
      const user = i % users
      const body = i % pool
      const tokens = createRng(seedFrom(ctx.seed, name, 'size', i)).pick(menu)
      const nonce = o.nonce === 'per_user' ? `${ctx.seed}:${name}:u${user}` : o.nonce === 'per_request' ? `${ctx.seed}:${name}:r${i}` : null
      const prompt = buildPrompt({
        tokenizer: ctx.tokenizer,
        template: ctx.template,
        tokens,
        key: `${ctx.seed}:${name}:body${body}:${tokens}`,
        nonce,
        needle: o.needle ?? null,
      })
      return {
        request: buildRequest(ctx, {
          workload: name,
          requestId: requestId(name, i),
          prompt,
          prefixText: prompt.prefixText,
          session_id: `u${user}`,
          turn: Math.floor(i / users),
          needleAnswer: prompt.needleAnswer,
          params: o.params,
        }),
      }
    }),
  )
}
