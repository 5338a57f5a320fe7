import { buildPrompt, type PromptResult } from '../../../helpers/workload/prompt-builder'
import { buildRequest } from '../../../helpers/workload/request-builder'
import { streamOf, streamWorkload } from '../../../helpers/workload/request-stream'
import type { WorkloadContext } from '../../../helpers/workload/workload-context'
import type { Workload } from '../../../helpers/workload/workload-types'

// The fault suites need exact control over which prompt is sent when (A twice so the B2 offload
// filter writes it to disk, then B to evict it, then A again), which the catalogue workloads do not
// expose. A set is a fixed list of prompts; a phase sends them in a given order.

export interface PromptSetOptions {
  /** Workload name; also the prompt key, so two sets with different names share no text. */
  name: string
  count: number
  contextTokens: number
  /** Plant a needle (integrity probe) at this depth of every prompt. */
  needleDepth?: number
  maxTokens: number
  /** @default 0 (greedy: a replay must reproduce the reference answer) */
  temperature?: number
}

export interface PromptSet {
  /** A workload sending prompt `order[i]` as request i, ids `<name>-<phase>-<i>`. */
  phase(phase: string, order: readonly number[]): Workload
  /** Expected needle answer by request id, for every request built so far. */
  needles: Map<string, string>
}

export const promptSet = (ctx: WorkloadContext, o: PromptSetOptions): PromptSet => {
  const prompts: PromptResult[] = []
  const promptOf = (k: number): PromptResult => {
    // Built lazily and kept: each phase reuses the exact same text, so replays match by identity.
    prompts[k] ??= buildPrompt({
      tokenizer: ctx.tokenizer,
      template: ctx.template,
      tokens: o.contextTokens,
      key: `${ctx.seed}:${o.name}:${k}`,
      needle: o.needleDepth === undefined ? null : { depth: o.needleDepth },
    })
    return prompts[k]
  }
  const needles = new Map<string, string>()
  return {
    needles,
    phase: (phase, order) =>
      streamWorkload(
        streamOf(`${o.name}_${phase}`, order.length, (i) => {
          const k = order[i]!
          if (k < 0 || k >= o.count) throw new Error(`Expected a prompt index in [0, ${o.count}) for ${o.name}, got ${k}`)
          const prompt = promptOf(k)
          const requestId = `${o.name}-${phase}-${String(i).padStart(4, '0')}`
          if (prompt.needleAnswer) needles.set(requestId, prompt.needleAnswer)
          return {
            request: buildRequest(ctx, {
              workload: o.name,
              requestId,
              prompt,
              session_id: `${o.name}${k}`,
              needleAnswer: prompt.needleAnswer,
              params: { max_tokens: o.maxTokens, temperature: o.temperature ?? 0 },
            }),
          }
        }),
      ),
  }
}

/** 0,0,1,1,…: each prompt twice in a row (the second visit makes its blocks eligible for disk). */
export const twice = (n: number): number[] => Array.from({ length: 2 * n }, (_, i) => Math.floor(i / 2))

/** 0,1,…,n−1 */
export const once = (n: number): number[] => Array.from({ length: n }, (_, i) => i)
