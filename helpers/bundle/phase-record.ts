import { z } from 'zod'

// One line of <suite>/raw/phases.jsonl, written by defineHypothesis when a phase ends (also when it
// was interrupted). The reporter and `tierbench report` rebuild every derived artifact from these.
export const PhaseRecord = z.object({
  suite_id: z.string(),
  phase: z.string(),
  kind: z.enum(['warmup', 'measure', 'probe']),
  mode: z.string(),
  /** AB/BA leg or mode-compare leg label. */
  leg: z.string().optional(),
  repetition: z.number().int().nonnegative().optional(),
  /** Sweep coordinates, e.g. {concurrency: 8} or {context_tokens: 16384}. */
  step: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  executor: z.record(z.string(), z.unknown()),
  workload: z.string(),
  /** fio contention profile running during the phase, if any. */
  contention: z.string().nullable(),
  t_start_ms: z.number(),
  t_end_ms: z.number(),
  wall_start_ms: z.number(),
  wall_end_ms: z.number(),
  requests: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  dropped: z.number().int().nonnegative(),
  late_sends: z.number().int().nonnegative(),
  /** PhaseSummary from helpers/analysis (latency percentiles, throughput, errors by class…). */
  summary: z.record(z.string(), z.unknown()),
  /** Counter deltas per source: kvbm, frontend, block_device, process_io, cgroup_io, cpu, memory. */
  deltas: z.record(z.string(), z.record(z.string(), z.number().nullable()).nullable()),
  /** Expected-but-missing metric names per source (old KVBM builds use other names). */
  missing_metrics: z.record(z.string(), z.array(z.string())),
  attribution: z.record(z.string(), z.unknown()).nullable(),
  /** Share of request completions with a sample from every periodic collector within one cadence (gate: >= 95 %). */
  alignment: z
    .object({ aligned_pct: z.number().nullable(), per_collector: z.record(z.string(), z.number().nullable()), reason: z.string().optional() })
    .nullable()
    .optional(),
  /** The phase's tier plan, the capacities the driver reported (effective), and the working-set preflight. */
  tiers: z
    .object({
      plan: z.record(z.string(), z.unknown()),
      effective: z.record(z.string(), z.unknown()),
      working_set: z.record(z.string(), z.unknown()).nullable(),
      check: z.string().nullable(),
    })
    .nullable()
    .optional(),
  interrupted: z.boolean(),
  stop_reason: z.string().nullable(),
  notes: z.array(z.string()),
  /** 2 when the phase was re-run because its first attempt was invalid for environment reasons (events: phase_rerun). */
  attempt: z.number().int().positive().optional(),
})
export type PhaseRecord = z.infer<typeof PhaseRecord>
