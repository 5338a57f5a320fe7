import { buildPrompt } from './prompt-builder'
import type { PhasedWorkload } from './phased-workload'
import { type PromptSet, type PromptSetRanges, promptSetTokens } from './prompt-set'
import { buildRequest } from './request-builder'
import { streamOf, streamWorkload } from './request-stream'
import { createRng, seedFrom } from './seeded-random'
import type { GenerationParams, WorkloadContext } from './workload-context'
import type { Workload } from './workload-types'

// The prior harness's `standard` scenario: a warmup phase (seed + 999, left out of the statistics)
// then `main`, both drawing prompt sizes from a prompt set. Every request has its own prompt.

export interface StandardOptions extends PromptSetRanges {
  /** @default 'standard' */
  name?: string
  /** @default 'short' */
  promptSet?: PromptSet
  /** @default 64 */
  requests?: number
  /** @default 8 */
  warmup?: number
  params?: Partial<GenerationParams>
}

export const standard = (ctx: WorkloadContext, o: StandardOptions = {}): PhasedWorkload => {
  const name = o.name ?? 'standard'
  const phase = (label: 'warmup' | 'main', seed: number, count: number): Workload =>
    streamWorkload(
      streamOf(`${name}_${label}`, count, (i) => {
        const tokens = promptSetTokens(o.promptSet ?? 'short', createRng(seedFrom(seed, name, 'size', i)), o)
        const key = `${seed}:${name}:${label}${i}`
        const prompt = buildPrompt({ tokenizer: ctx.tokenizer, template: ctx.template, tokens, key, nonce: key })
        return {
          request: buildRequest(ctx, {
            workload: name,
            requestId: `${name}-${label}-${String(i).padStart(6, '0')}`,
            prompt,
            prefixText: prompt.prefixText,
            params: o.params,
          }),
        }
      }),
    )
  return {
    name,
    phases: [
      { phase: 'warmup', workload: phase('warmup', ctx.seed + 999, o.warmup ?? 8) },
      { phase: 'main', workload: phase('main', ctx.seed, o.requests ?? 64) },
    ],
  }
}
