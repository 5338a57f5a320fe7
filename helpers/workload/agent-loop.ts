import { fillerText } from './prompt-filler'
import { buildSystemPrefix } from './prompt-prefix'
import { conversationSession } from './sessioned-chat'
import type { GenerationParams, WorkloadContext } from './workload-context'
import type { SessionSource, Workload } from './workload-types'

// Multi-turn agent loop (family B): a task, then tool observations fed back turn after turn. The
// scratchpad (history with the model's own answers) grows every turn and the same tool outputs
// come back repeatedly, the way a coding agent re-reads a file or re-runs a test.

export interface AgentLoopOptions {
  /** @default 'agent_loop' */
  name?: string
  sessions: number
  /** @default 8 */
  turns?: number
  /** Shared agent instructions and tool list. @default 512 */
  systemTokens?: number
  /** The task statement of turn 0. @default 128 */
  taskTokens?: number
  /** Each tool observation. @default 384 */
  toolOutputTokens?: number
  /** Distinct tool outputs per session; turn k repeats output (k-1) % n. @default 3 */
  distinctToolOutputs?: number
  params?: Partial<GenerationParams>
}

const TOOLS = ['read_file', 'run_tests', 'grep']

export const agentLoop = (ctx: WorkloadContext, o: AgentLoopOptions): Workload => {
  const name = o.name ?? 'agent_loop'
  const distinct = o.distinctToolOutputs ?? 3
  const source: SessionSource = {
    name,
    sessions: () => {
      const system = buildSystemPrefix({
        tokenizer: ctx.tokenizer,
        template: ctx.template,
        tokens: o.systemTokens ?? 512,
        key: `${ctx.seed}:${name}:system`,
        heading: `You are a coding agent. Tools: ${TOOLS.join(', ')}. Think, call one tool per turn, then answer. Operating notes:`,
      })
      return Array.from({ length: o.sessions }, (_, s) => {
        const sessionId = `s${String(s).padStart(4, '0')}`
        const key = `${ctx.seed}:${name}:${sessionId}`
        return conversationSession(ctx, {
          name,
          sessionId,
          turns: o.turns ?? 8,
          system,
          params: o.params,
          factory: {
            userMessage: (t) => {
              if (t === 0) return { role: 'user', content: `Task:${fillerText(ctx.tokenizer, o.taskTokens ?? 128, `${key}:task`)}.` }
              const k = (t - 1) % distinct
              const out = fillerText(ctx.tokenizer, o.toolOutputTokens ?? 384, `${key}:tool${k}`)
              return { role: 'user', content: `Observation from ${TOOLS[k % TOOLS.length]}:${out}\n\nContinue.` }
            },
          },
        })
      })
    },
  }
  return { kind: 'sessions', source }
}
