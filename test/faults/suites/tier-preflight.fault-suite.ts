import { totalmem } from 'node:os'
import { defineHypothesis } from '../../../helpers/suite/define-hypothesis'
import { fixedContext } from '../../../helpers/workload/fixed-context'

// Fault suite for the tier preflights (test/helpers/suite/tier-preflight.test.ts): a phase whose
// working set (4 x 256 tokens) fits tiny's device + host tiers (3,072 + 6,144 tokens) must fail before
// any request with WORKING_SET_FITS_UPPER_TIERS; a phase whose host tier is 4x the machine's memory
// must be refused before the worker starts with TIER_PLAN_EXCEEDS_MACHINE.

const workload = (c: { settings: { workloadContext: (m: string, e: object) => never }; target: { model: string; maxInputTokens: number | null } }) =>
  fixedContext(c.settings.workloadContext(c.target.model, { maxInputTokens: c.target.maxInputTokens }), {
    name: 'small_working_set',
    contextTokens: 256,
    promptPool: 4,
    params: { max_tokens: 4 },
  })

defineHypothesis({
  id: 'fault_tier_preflight',
  title: 'fault_tier_preflight: a working set that fits the upper tiers and a tier plan larger than the machine fail before load',
  tags: ['faults', 'stack:B', 'mode:B2', 'dataset:S'],
  collectors: ['kvbm'],
  phases: () => [
    {
      name: 'fits-upper-tiers',
      kind: 'measure',
      mode: 'B2',
      workingSet: { tokens: 4 * 256, exceeds: 'device+host', factor: 1.2 },
      workload: (c) => workload(c as never),
      executor: { type: 'constantConcurrency', concurrency: 1, iterations: 4 },
    },
    {
      name: 'host-tier-too-large',
      kind: 'measure',
      mode: 'B2',
      tiers: { host_tier_bytes: 4 * totalmem() },
      workload: (c) => workload(c as never),
      executor: { type: 'constantConcurrency', concurrency: 1, iterations: 4 },
    },
  ],
})
