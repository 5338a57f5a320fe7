import type { Gate } from '../../../helpers/gates/gate'
import { defineHypothesis } from '../../../helpers/suite/define-hypothesis'
import { fixedContext } from '../../../helpers/workload/fixed-context'

// Not a fault: the smallest suite that leaves its repetitions to the DSL, so a nested run under
// TIERBENCH_PROFILE=full shows what every suite does there (test/helpers/suite/repeated-protocol.test.ts):
// the whole sequence three times from a fresh worker, one conclusion per repetition seeing that
// repetition's phases under their plain names (including a load phase a custom body runs, as
// searches do), and the CoV / p99-within-5 % gates evaluated.

const SEES_ONE_REPETITION: Gate = {
  id: 'conclusion_sees_one_repetition',
  metric: 'phases_seen',
  expr: 'value==3',
  severity: 'hard',
  reason_code: 'CONCLUSION_SAW_OTHER_REPETITIONS',
  reason: 'A conclusion judges one repetition: it must see exactly that repetition\'s three phases.',
  blocker_group: 'control_gap',
}

defineHypothesis({
  id: 'fault_repeated_protocol',
  title: 'fault_repeated_protocol: the DSL repeats a suite protocol per profile repetition',
  tags: ['faults', 'stack:B', 'mode:B1', 'dataset:S'],
  collectors: ['kvbm', 'frontend'],
  evidence: ['repeatability'],
  gates: [SEES_ONE_REPETITION],
  phases: (s) => {
    const workload = (ctx: { target: { model: string; maxInputTokens: number | null } }) =>
      fixedContext(s.workloadContext(ctx.target.model, { maxInputTokens: ctx.target.maxInputTokens }), {
        name: 'repeated',
        contextTokens: 256,
        promptPool: 2,
        params: { max_tokens: 4 },
      })
    return [
      { name: 'warmup', kind: 'warmup', mode: 'B1', workload, executor: { type: 'constantConcurrency', concurrency: 1, iterations: 2 } },
      { name: 'replay', kind: 'measure', mode: 'B1', workload, executor: { type: 'constantConcurrency', concurrency: 1, iterations: 8 } },
      {
        name: 'search',
        kind: 'probe',
        mode: 'B1',
        run: async (api) => {
          await api.runPhase({ name: 'probe', kind: 'measure', mode: 'B1', workload, executor: { type: 'constantConcurrency', concurrency: 1, iterations: 4 } })
        },
      },
    ]
  },
  conclude: (c) => {
    const names = [...c.phases.keys()]
    const expected = ['warmup', 'replay', 'probe']
    c.gate(SEES_ONE_REPETITION, {
      value: names.length === 3 && expected.every((n) => names.includes(n)) ? 3 : -names.length,
      details: { names, ran_as: [...c.phases.values()].map((o) => o.plan.name) },
    })
  },
})
