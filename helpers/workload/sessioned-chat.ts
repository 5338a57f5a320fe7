import { fillerText } from './prompt-filler'
import { renderPrompt } from './prompt-fit'
import { buildSystemPrefix, type SystemPrefix } from './prompt-prefix'
import { buildRequest } from './request-builder'
import type { GenerationParams, WorkloadContext } from './workload-context'
import type { ChatMessage, Session, SessionSource, WorkItem, WorkResult, Workload } from './workload-types'

// Sessioned multi-turn chat (v3.0 plan H5/H6): each turn re-sends the whole conversation, including
// the model's earlier answers, so a session's KV grows turn by turn and a returning session can
// reuse it. Think time between turns belongs to the executor.

export interface SessionedChatOptions {
  /** @default 'sessioned_chat' */
  name?: string
  sessions: number
  turns: number
  /** Size of the system prompt block. @default 256 */
  systemTokens?: number
  /** Size of each user message's prose. @default 256 */
  userTokens?: number
  /** One system prompt for all sessions (true) or one per session. @default true */
  sharedSystem?: boolean
  params?: Partial<GenerationParams>
}

/** Stands in for an answer that never came, so the conversation (and its size) stays defined. */
export const MISSING_ANSWER = '(no answer)'

export interface TurnFactory {
  /** The user message of turn `turn` (0-based). */
  userMessage(turn: number): ChatMessage
}

/** Shared machinery for multi-turn workloads (sessioned chat, agent loop). */
export const conversationSession = (
  ctx: WorkloadContext,
  o: { name: string; sessionId: string; turns: number; system: SystemPrefix; factory: TurnFactory; params?: Partial<GenerationParams> },
): Session => {
  const history: ChatMessage[] = [o.system.message]
  let turn = 0
  return {
    id: o.sessionId,
    nextTurn(previous: WorkResult | null): WorkItem | null {
      if (turn > 0) history.push({ role: 'assistant', content: previous?.ok && previous.output_text ? previous.output_text : MISSING_ANSWER })
      if (turn >= o.turns) return null
      history.push(o.factory.userMessage(turn))
      const prompt = renderPrompt(ctx.tokenizer, ctx.template, [...history])
      const request = buildRequest(ctx, {
        workload: o.name,
        requestId: `${o.name}-${o.sessionId}-t${String(turn).padStart(3, '0')}`,
        prompt,
        prefixText: o.system.text,
        session_id: o.sessionId,
        turn,
        params: o.params,
      })
      turn++
      return { request }
    },
  }
}

export const sessionedChat = (ctx: WorkloadContext, o: SessionedChatOptions): Workload => {
  const name = o.name ?? 'sessioned_chat'
  const shared = o.sharedSystem ?? true
  const userTokens = o.userTokens ?? 256
  const systemFor = (s: number) =>
    buildSystemPrefix({
      tokenizer: ctx.tokenizer,
      template: ctx.template,
      tokens: o.systemTokens ?? 256,
      key: shared ? `${ctx.seed}:${name}:system` : `${ctx.seed}:${name}:system:s${s}`,
      heading: 'You are a helpful assistant for an engineering team. Team notes:',
    })
  const source: SessionSource = {
    name,
    sessions: () => {
      const sharedSystem = shared ? systemFor(0) : null
      return Array.from({ length: o.sessions }, (_, s) => {
        const sessionId = `s${String(s).padStart(4, '0')}`
        return conversationSession(ctx, {
          name,
          sessionId,
          turns: o.turns,
          system: sharedSystem ?? systemFor(s),
          params: o.params,
          factory: {
            userMessage: (t) => ({
              role: 'user',
              content: `Message ${t + 1}:${fillerText(ctx.tokenizer, userTokens, `${ctx.seed}:${name}:${sessionId}:t${t}`)}\n\nPlease reply briefly.`,
            }),
          },
        })
      })
    },
  }
  return { kind: 'sessions', source }
}
