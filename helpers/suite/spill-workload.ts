import type { Workload } from '../workload/workload-types'
import { fixedContext } from '../workload/fixed-context'
import type { KvModeId } from '../config/kv-mode'
import { kvModeHasDiskTier } from '../config/kv-mode'
import type { ExecutorSpec } from '../load/executor-spec'
import type { TierPlan } from '../tiers/tier-plan'
import type { WorkingSetClaim } from '../tiers/working-set'
import type { SuiteSettings } from './suite-settings'
import { spillSizing } from './spill-sizing'

// The spill configuration several hypotheses share (H3, H4B, H7): a pool of distinct fixed-context
// prompts whose KV is 1.5 x (device + host) of the target's effective tiers, so replays must onboard
// from the disk tier (planned to hold the whole pool). Never fewer prompts than the plan's sizes
// (smoke 8 x 2,048 tokens, full 64 x 4,096: the plan's H4B size), which is what a small target gets;
// a Spark's 22.6k device blocks get ~290 prompts of 4,096 tokens in full.
export interface SpillWorkload {
  contextTokens: number
  pool: number
  maxTokens: number
  workingSetTokens: number
  workload: (p: { target: { model: string; maxInputTokens: number | null } }) => Workload
  /** Populate pass: every prompt twice (KVBM's B2 filter sends a block to disk on its second use), one output token. */
  populate: { workload: (p: { target: { model: string; maxInputTokens: number | null } }) => Workload; executor: ExecutorSpec }
  /** The tier plan and working-set claim for phases in `mode` (only disk modes are sized). */
  forMode: (mode: KvModeId) => { tiers?: Partial<TierPlan>; workingSet?: WorkingSetClaim }
}

const POPULATE_CONCURRENCY = 8

export const spillWorkload = (s: SuiteSettings, name: string): SpillWorkload => {
  const smoke = s.profileName === 'smoke'
  const contextTokens = smoke ? 2048 : 4096
  const maxTokens = smoke ? 16 : 128
  const sizing = spillSizing(s, { mode: 'B2', promptTokens: contextTokens, outputTokens: maxTokens, minPrompts: smoke ? 8 : 64, fallbackPrompts: smoke ? 8 : 64 })
  const pool = sizing.prompts
  const make = (max_tokens: number) => (p: { target: { model: string; maxInputTokens: number | null } }) =>
    fixedContext(s.workloadContext(p.target.model, { maxInputTokens: p.target.maxInputTokens }), {
      name,
      contextTokens,
      promptPool: pool,
      params: { max_tokens },
    })
  return {
    contextTokens,
    pool,
    maxTokens,
    workingSetTokens: sizing.workingSetTokens,
    workload: make(maxTokens),
    populate: { workload: make(1), executor: { type: 'constantConcurrency', concurrency: POPULATE_CONCURRENCY, iterations: 2 * pool } as ExecutorSpec },
    forMode: (mode) => (kvModeHasDiskTier(mode) ? { tiers: sizing.tiers, workingSet: sizing.claim } : {}),
  }
}
