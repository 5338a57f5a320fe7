import { type PhaseContext, defineHypothesis } from '../../../helpers/suite/define-hypothesis'
import { fixedContext } from '../../../helpers/workload/fixed-context'
import type { Workload } from '../../../helpers/workload/workload-types'
import { liveFaultKnobs, plantLiveFaults } from './live-fault-knobs'

// Fault suite (planted-fault matrix, cases 5–7): a short open-loop phase in B1 at a rate the client
// sustains easily. Clean, every standard run-validity gate passes. Planted by the matrix through
// live-fault-knobs.ts: an event-loop hog in this process (CLIENT_BOTTLENECK), stall:0.3 with a
// short client body timeout (REQUEST_STALL), drop_worker or unregister_on_oversize mid-phase
// (the phase stops: MODEL_DROPPED).

const knobs = liveFaultKnobs()
// FAULT_SUITE_WARMUP_FIRST=1: a warm-up load phase in the same mode first, so `steady` no longer
// starts from a freshly applied mode (the matrix checks that a re-run replays this warm-up).
const warmupFirst = process.env.FAULT_SUITE_WARMUP_FIRST === '1'

const steadyWorkload = (ctx: PhaseContext): Workload =>
  fixedContext(ctx.settings.workloadContext(ctx.target.model, { maxInputTokens: ctx.target.maxInputTokens }), {
    name: 'fault_steady',
    contextTokens: 256,
    promptPool: 4,
    params: { max_tokens: 8 },
  })

/**
 * Builds the first prompts once before the phase: the first buildPrompt loads the tokenizer (~1 s
 * here), and the open-loop clock is already running by then, so a cold start alone would fail
 * client_schedule_delay in the clean run (see docs/fault-matrix.md, known harness issues).
 */
const warmWorkload = (ctx: PhaseContext): void => {
  const w = steadyWorkload(ctx)
  if (w.kind === 'stream') for (let i = 0; i < 4; i++) w.source.next()
}

defineHypothesis({
  id: 'fault_steady_load',
  title: 'fault_steady_load: a light open-loop phase in B1 passes every run-validity gate',
  tags: ['faults', 'stack:B', 'mode:B1', 'dataset:S'],
  collectors: ['kvbm', 'frontend', 'cpu'],
  phases: () => [
    ...(warmupFirst
      ? [
          {
            name: 'prefill',
            kind: 'warmup' as const,
            mode: 'B1' as const,
            workload: steadyWorkload,
            executor: { type: 'constantConcurrency' as const, concurrency: 1, iterations: 4 },
          },
        ]
      : []),
    {
      name: 'steady',
      kind: 'measure',
      mode: 'B1',
      before: async (api) => {
        warmWorkload(api)
        await plantLiveFaults(api, knobs)
      },
      workload: steadyWorkload,
      // Long enough for the target watcher to name a drop planted 1 s in: it polls /v1/models every
      // 2 s and declares MODEL_DROPPED after two bad polls in a row (≈ 4 s after the phase starts).
      executor: { type: 'arrivalRate', rate: 5, time_unit_s: 1, distribution: 'constant', duration_s: 6, max_in_flight: 16, seed: 1 },
    },
  ],
})
