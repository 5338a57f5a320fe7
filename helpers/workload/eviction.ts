import { buildPrompt } from './prompt-builder'
import type { PhasedWorkload } from './phased-workload'
import { buildRequest } from './request-builder'
import { streamOf, streamWorkload } from './request-stream'
import { createRng, seedFrom } from './seeded-random'
import type { GenerationParams, WorkloadContext } from './workload-context'
import type { Workload } from './workload-types'

// Eviction A/B/A (prior harness eviction_replay): warm a set A of long prompts, push them out of
// the fast tiers with a disjoint set B, then replay exactly the A prompts. With a disk tier the
// replay should onboard A from disk instead of recomputing it.

export interface EvictionOptions {
  /** @default 'eviction' */
  name?: string
  /** @default 32 */
  aRequests?: number
  /** @default 64 */
  bRequests?: number
  /** Prompt size (or menu, picked per request) of A and B. */
  contextTokens: number | readonly number[]
  /** Long-prompt warmup before A (prior harness: seed + 7); 0 = no warmup phase. @default 0 */
  warmupRequests?: number
  params?: Partial<GenerationParams>
}

export const eviction = (ctx: WorkloadContext, o: EvictionOptions): PhasedWorkload => {
  const name = o.name ?? 'eviction'
  const menu = typeof o.contextTokens === 'number' ? [o.contextTokens] : [...o.contextTokens]
  // B uses its own seed offset (prior harness: seed + 100003) so it shares nothing with A.
  const set = (label: 'A' | 'B' | 'W', count: number, phase: string): Workload =>
    streamWorkload(
      streamOf(`${name}_${phase}`, count, (i) => {
        const seed = label === 'A' ? ctx.seed : label === 'B' ? ctx.seed + 100003 : ctx.seed + 7
        const tokens = createRng(seedFrom(seed, name, label, i)).pick(menu)
        const prompt = buildPrompt({ tokenizer: ctx.tokenizer, template: ctx.template, tokens, key: `${seed}:${name}:${label}${i}`, nonce: `${seed}:${name}:${label}${i}` })
        return {
          request: buildRequest(ctx, {
            workload: name,
            requestId: `${name}-${phase}-${String(i).padStart(6, '0')}`,
            prompt,
            prefixText: prompt.text,
            session_id: `${label}${i}`,
            turn: phase === 'replay_A' ? 1 : 0,
            params: o.params,
          }),
        }
      }),
    )
  return {
    name,
    phases: [
      ...((o.warmupRequests ?? 0) > 0 ? [{ phase: 'warmup', workload: set('W', o.warmupRequests ?? 0, 'warmup') }] : []),
      { phase: 'warm_A', workload: set('A', o.aRequests ?? 32, 'warm_A') },
      { phase: 'pressure_B', workload: set('B', o.bRequests ?? 64, 'pressure_B') },
      { phase: 'replay_A', workload: set('A', o.aRequests ?? 32, 'replay_A'), replays: 'warm_A' },
    ],
  }
}
