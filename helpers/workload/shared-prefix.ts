import { fillerText } from './prompt-filler'
import { renderPrompt } from './prompt-fit'
import { buildSystemPrefix } from './prompt-prefix'
import { buildRequest } from './request-builder'
import { requestId, streamOf, streamWorkload } from './request-stream'
import type { GenerationParams, WorkloadContext } from './workload-context'
import type { Workload } from './workload-types'

// Local project copilot (family A; prior harness local_copilot_burst): one long shared project
// prefix (standards, repo summary, system prompt) and many short queries. Sessions rotate round
// robin, each getting a burst of consecutive turns, so the prefix is hot while sessions churn.

export interface SharedPrefixOptions {
  /** @default 'shared_prefix' */
  name?: string
  /** Exact size of the shared prefix block. @default 3072 */
  prefixTokens?: number
  /** Size of each query's prose. @default 64 */
  queryTokens?: number
  /** @default 8 */
  sessions?: number
  /** Consecutive requests per session before the next session's turn. @default 4 */
  burstSize?: number
  /** @default unbounded */
  requests?: number
  params?: Partial<GenerationParams>
}

export const sharedPrefix = (ctx: WorkloadContext, o: SharedPrefixOptions = {}): Workload => {
  const name = o.name ?? 'shared_prefix'
  const sessions = o.sessions ?? 8
  const burst = o.burstSize ?? 4
  const queryTokens = o.queryTokens ?? 64
  let prefix: ReturnType<typeof buildSystemPrefix> | null = null
  return streamWorkload(
    streamOf(name, o.requests ?? Number.POSITIVE_INFINITY, (i) => {
      prefix ??= buildSystemPrefix({
        tokenizer: ctx.tokenizer,
        template: ctx.template,
        tokens: o.prefixTokens ?? 3072,
        key: `${ctx.seed}:${name}:project`,
        heading: 'You are the project copilot. Coding standards and repository summary:',
      })
      const round = Math.floor(i / burst)
      const session = round % sessions
      const turn = Math.floor(round / sessions) * burst + (i % burst)
      const sessionId = `s${String(session).padStart(4, '0')}`
      const query = fillerText(ctx.tokenizer, queryTokens, `${ctx.seed}:${name}:${sessionId}:q${turn}`)
      const prompt = renderPrompt(ctx.tokenizer, ctx.template, [
        prefix.message,
        { role: 'user', content: `Developer ${sessionId} asks:${query}?` },
      ])
      return {
        request: buildRequest(ctx, { workload: name, requestId: requestId(name, i), prompt, prefixText: prefix.text, session_id: sessionId, turn, params: o.params }),
      }
    }),
  )
}
