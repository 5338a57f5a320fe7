import type { Workload } from '../workload/workload-types'
import { fixedContext } from '../workload/fixed-context'
import type { SuiteSettings } from './suite-settings'

// The spill configuration several hypotheses share (H3, H4B, H7): a pool of distinct fixed-context
// prompts whose KV is larger than G1 + G2, so replays must onboard from the disk tier. Smoke: 8 x
// 2,048 tokens ≈ 520 blocks against tiny's G1 96 + G2 192; full: 64 x 4,096 (the plan's H4B size).
export interface SpillWorkload {
  contextTokens: number
  pool: number
  maxTokens: number
  workload: (p: { target: { model: string; maxInputTokens: number | null } }) => Workload
}

export const spillWorkload = (s: SuiteSettings, name: string): SpillWorkload => {
  const smoke = s.profileName === 'smoke'
  const contextTokens = smoke ? 2048 : 4096
  const pool = smoke ? 8 : 64
  const maxTokens = smoke ? 16 : 128
  return {
    contextTokens,
    pool,
    maxTokens,
    workload: (p) =>
      fixedContext(s.workloadContext(p.target.model, { maxInputTokens: p.target.maxInputTokens }), {
        name,
        contextTokens,
        promptPool: pool,
        params: { max_tokens: maxTokens },
      }),
  }
}
