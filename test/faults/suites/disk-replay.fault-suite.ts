import { checkIntegrity } from '../../../helpers/analysis/integrity'
import { diskOffloadFigure, diskRehydrateFigure, figureInput, sumFigures } from '../../../helpers/analysis/mechanism'
import { GATE_DISK_OFFLOAD, GATE_DISK_REHYDRATE, GATE_INTEGRITY } from '../../../helpers/gates/catalog'
import { defineHypothesis } from '../../../helpers/suite/define-hypothesis'
import type { PhaseContext } from '../../../helpers/suite/define-hypothesis'
import type { WorkloadContext } from '../../../helpers/workload/workload-context'
import { type PromptSet, once, promptSet, twice } from './prompt-sequence'

// Fault suite (planted-fault matrix, cases 1–3): a B2 replay after G1/G2 eviction, at temperature 0
// with a needle in an early block of every prompt. Clean, it passes every gate: blocks go to disk,
// come back from disk, and the replay answers exactly as the reference pass did. Planted faults:
// corrupt_disk:1 → answer_integrity (KV_CORRUPTION) while Δonboard_blocks_d2d still rises; a B1
// stack declared B2 → disk_offload / disk_rehydrate (NO_DISK_OFFLOAD, NO_DISK_REHYDRATE);
// no_kvbm_metrics → kvbm_metrics_reachable (KVBM_METRICS_MISSING).

// tiny profile: G1 96 blocks, G2 192 of 32 tokens. 3 × 1024-token prompts are the working set A;
// 7 others (B, ~230 blocks) push A out of G1 and G2, so the replay of A can only come from G3.
const A_PROMPTS = 3
const B_PROMPTS = 7
const CONTEXT_TOKENS = 1024

let sets: { a: PromptSet; b: PromptSet } | null = null
const setsFor = (ctx: PhaseContext): { a: PromptSet; b: PromptSet } => {
  const w: WorkloadContext = ctx.settings.workloadContext(ctx.target.model, { maxInputTokens: ctx.target.maxInputTokens })
  sets ??= {
    a: promptSet(w, { name: 'fault_a', count: A_PROMPTS, contextTokens: CONTEXT_TOKENS, needleDepth: 0.05, maxTokens: 8 }),
    b: promptSet(w, { name: 'fault_b', count: B_PROMPTS, contextTokens: CONTEXT_TOKENS, maxTokens: 4 }),
  }
  return sets
}

defineHypothesis({
  id: 'fault_disk_replay',
  title: 'fault_disk_replay: a B2 replay after eviction comes back from disk with the reference answers',
  tags: ['faults', 'eviction_replay', 'stack:B', 'mode:B2', 'dataset:S'],
  // cache_dir: open files under the disk tier and their O_DIRECT flag, the OS evidence for backends without disk counters.
  collectors: ['kvbm', 'frontend', 'process_io', 'cache_dir'],
  gates: [GATE_INTEGRITY, GATE_DISK_OFFLOAD, GATE_DISK_REHYDRATE],
  phases: () => [
    {
      name: 'populate',
      kind: 'warmup',
      mode: 'B2',
      workload: (ctx) => setsFor(ctx).a.phase('populate', twice(A_PROMPTS)),
      executor: { type: 'constantConcurrency', concurrency: 1, iterations: 2 * A_PROMPTS },
    },
    {
      name: 'pressure',
      kind: 'warmup',
      mode: 'B2',
      workload: (ctx) => setsFor(ctx).b.phase('pressure', once(B_PROMPTS)),
      executor: { type: 'constantConcurrency', concurrency: 1, iterations: B_PROMPTS },
    },
    {
      name: 'replay',
      kind: 'measure',
      mode: 'B2',
      workload: (ctx) => setsFor(ctx).a.phase('replay', once(A_PROMPTS)),
      executor: { type: 'constantConcurrency', concurrency: 1, iterations: A_PROMPTS },
    },
  ],
  conclude: (c) => {
    const populate = c.phases.get('populate')
    const replay = c.phases.get('replay')
    const all = [...c.phases.values()]
    const integrity = checkIntegrity({ records: replay?.requests ?? [], reference: populate?.requests ?? [], needles: sets?.a.needles })
    c.note('integrity', integrity)
    // Nothing compared is no evidence of integrity: report no data rather than a pass.
    const checked = integrity.compared + integrity.needles_checked
    c.gate(GATE_INTEGRITY, {
      value: checked > 0 ? integrity.mismatches + integrity.needle_failures : null,
      scope: 'replay',
      details: { ...integrity, examples: integrity.examples.slice(0, 3) },
    })
    // Normalised tier counters of whatever backend the stack runs (TIERBENCH_BACKEND), OS evidence where it has none.
    c.gate(GATE_DISK_OFFLOAD, { ...figureInput(sumFigures(all.map((o) => diskOffloadFigure(o.record.deltas)))), scope: 'populate+pressure' })
    c.gate(GATE_DISK_REHYDRATE, { ...figureInput(diskRehydrateFigure(replay?.record.deltas)), scope: 'replay' })
  },
})
