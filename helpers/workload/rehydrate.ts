import { fillerText } from './prompt-filler'
import { renderPrompt } from './prompt-fit'
import type { PhasedWorkload } from './phased-workload'
import { buildSystemPrefix, type SystemPrefix } from './prompt-prefix'
import { buildRequest } from './request-builder'
import { streamOf, streamWorkload } from './request-stream'
import type { GenerationParams, WorkloadContext } from './workload-context'
import type { Workload } from './workload-types'

// Rehydrate replay (prior harness rehydrate_replay, used by its Phase60/70 sweeps): populate P
// sessions x T turns, each session with its own long prefix; thrash with unique sessions until the
// populate KV has left the fast tiers; then replay the populate prompts unchanged (replay,
// replay_2 …). The replays are where disk onboarding and matched tokens must show.

export interface RehydrateOptions {
  /** @default 'rehydrate' */
  name?: string
  /** @default 16 */
  populateSessions?: number
  /** @default 96 */
  thrashSessions?: number
  /** Requests per session, each its prefix plus a short turn. @default 2 */
  turns?: number
  /** Each session's own prefix. @default 4096 */
  prefixTokens?: number
  /** Prose per turn. @default 64 */
  turnTokens?: number
  /** Replay phases after thrash: replay, replay_2, … @default 2 */
  replays?: number
  params?: Partial<GenerationParams>
}

export const rehydrate = (ctx: WorkloadContext, o: RehydrateOptions = {}): PhasedWorkload => {
  const name = o.name ?? 'rehydrate'
  const turns = o.turns ?? 2
  // Turns of a session run back to back; build its prefix once.
  let lastPrefix: { key: string; prefix: SystemPrefix } | null = null
  const sessionsPhase = (group: 'populate' | 'thrash', sessions: number, phase: string): Workload =>
    streamWorkload(
      streamOf(`${name}_${phase}`, sessions * turns, (i) => {
        const s = Math.floor(i / turns)
        const t = i % turns
        const sessionId = `${group}-s${String(s).padStart(4, '0')}`
        const key = `${ctx.seed}:${name}:${sessionId}`
        if (lastPrefix?.key !== key)
          lastPrefix = {
            key,
            prefix: buildSystemPrefix({
              tokenizer: ctx.tokenizer,
              template: ctx.template,
              tokens: o.prefixTokens ?? 4096,
              key,
              heading: `Session ${sessionId} working notes:`,
            }),
          }
        const prefix = lastPrefix.prefix
        const prompt = renderPrompt(ctx.tokenizer, ctx.template, [
          prefix.message,
          { role: 'user', content: `Turn ${t + 1}:${fillerText(ctx.tokenizer, o.turnTokens ?? 64, `${key}:t${t}`)}?` },
        ])
        return {
          request: buildRequest(ctx, {
            workload: name,
            requestId: `${name}-${phase}-${String(i).padStart(6, '0')}`,
            prompt,
            prefixText: prefix.text,
            session_id: sessionId,
            turn: t,
            params: o.params,
          }),
        }
      }),
    )
  const populate = o.populateSessions ?? 16
  const replayPhases = Array.from({ length: o.replays ?? 2 }, (_, r) => {
    const phase = r === 0 ? 'replay' : `replay_${r + 1}`
    return { phase, workload: sessionsPhase('populate', populate, phase), replays: 'populate' }
  })
  return {
    name,
    phases: [
      { phase: 'populate', workload: sessionsPhase('populate', populate, 'populate') },
      { phase: 'thrash', workload: sessionsPhase('thrash', o.thrashSessions ?? 96, 'thrash') },
      ...replayPhases,
    ],
  }
}
