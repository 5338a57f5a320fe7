import { buildPrompt } from './prompt-builder'
import type { PhasedWorkload } from './phased-workload'
import { buildRequest } from './request-builder'
import { streamOf, streamWorkload } from './request-stream'
import type { GenerationParams, WorkloadContext } from './workload-context'

// Reuse verification (prior harness reuse_verify): one identical request per phase, repeated.
// Phases 2..N must show prefix reuse (matched tokens or cached tokens); identical hashes across
// phases prove the inputs really were identical.

export interface ReuseRepeatsOptions {
  /** @default 'reuse_repeats' */
  name?: string
  /** @default 3 */
  repeats?: number
  /** @default 2048 */
  contextTokens?: number
  /** Identical requests per phase. @default 1 */
  requestsPerPhase?: number
  params?: Partial<GenerationParams>
}

export const reuseRepeats = (ctx: WorkloadContext, o: ReuseRepeatsOptions = {}): PhasedWorkload => {
  const name = o.name ?? 'reuse_repeats'
  let prompt: ReturnType<typeof buildPrompt> | null = null
  const phases = Array.from({ length: o.repeats ?? 3 }, (_, r) => {
    const phase = `reuse_${r + 1}`
    return {
      phase,
      ...(r > 0 ? { replays: 'reuse_1' } : {}),
      workload: streamWorkload(
        streamOf(`${name}_${phase}`, o.requestsPerPhase ?? 1, (i) => {
          // A nonce (scoped to the run by the suite runtime) keeps one run's repeats off another run's
          // cache; the first repeat must be cold (bounded), later ones are meant to be reused.
          prompt ??= buildPrompt({ tokenizer: ctx.tokenizer, template: ctx.template, tokens: o.contextTokens ?? 2048, key: `${ctx.seed}:${name}`, nonce: name })
          return {
            request: buildRequest(ctx, {
              workload: name,
              requestId: `${name}-${phase}-${String(i).padStart(6, '0')}`,
              prompt: r === 0 ? prompt : { ...prompt, reusableTokensMax: null },
              prefixText: prompt.text,
              session_id: 'repeat',
              turn: r,
              params: o.params,
            }),
          }
        }),
      ),
    }
  })
  return { name, phases }
}
