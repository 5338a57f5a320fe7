import { z } from 'zod'

// How long and how often a suite measures. `smoke` proves the harness end to end in CI on the
// emulator's tiny profile (every suite within 60 s); `full` is the plans' defaults (300 s phases,
// 3 repetitions, seeded) and the only profile whose results can be decision-grade.

export const RunProfileName = z.enum(['smoke', 'full'])
export type RunProfileName = z.infer<typeof RunProfileName>

export const RunProfile = z
  .strictObject({
    name: RunProfileName,
    description: z.string(),
    /** Duration of one measured phase, seconds. */
    phase_s: z.number().positive(),
    /** Duration of the warmup phase (excluded from statistics), seconds. */
    warmup_s: z.number().nonnegative(),
    /** Repetitions of each measured configuration. */
    repetitions: z.int().min(1),
    /** AB/BA pairs for paired mode comparisons (even counts balance order effects). */
    pairs: z.int().min(1),
    /** Wall-clock budget of one suite, seconds; null = unbounded. */
    suite_budget_s: z.number().positive().nullable(),
    /** Cap on requests per phase (keeps smoke runs short); null = no cap. */
    max_requests_per_phase: z.int().positive().nullable(),
    /** Concurrency sweep for knee searches (H0, SLO capacity). */
    concurrency_steps: z.array(z.int().positive()).min(1),
    /** Multiplier on workload counts (sessions, requests per phase, eviction A/B sizes). */
    workload_scale: z.number().positive().max(1),
    /** Emulator settings this profile implies (targets/*.yaml, tierbench.yaml or env can override). */
    emulator: z.strictObject({ profile: z.string().min(1), time_scale: z.number().positive() }),
    decision_grade_eligible: z.boolean(),
  })
  .superRefine((p, ctx) => {
    if (p.name === 'smoke' && (p.suite_budget_s === null || p.suite_budget_s > 60))
      ctx.addIssue({ code: 'custom', path: ['suite_budget_s'], message: 'at most 60 s for smoke', input: p.suite_budget_s })
    if (p.warmup_s + p.phase_s > (p.suite_budget_s ?? Infinity))
      ctx.addIssue({ code: 'custom', path: ['phase_s'], message: 'warmup_s + phase_s within suite_budget_s', input: p.phase_s })
  })
export type RunProfile = z.infer<typeof RunProfile>

export const RUN_PROFILE_DEFAULTS: Record<RunProfileName, RunProfile> = {
  smoke: {
    name: 'smoke',
    description: 'CI proof of the harness on the emulator tiny profile; never decision-grade',
    phase_s: 8,
    warmup_s: 2,
    repetitions: 1,
    pairs: 2,
    suite_budget_s: 60,
    max_requests_per_phase: 64,
    concurrency_steps: [1, 2, 4, 8],
    workload_scale: 0.25,
    emulator: { profile: 'tiny', time_scale: 0.05 },
    decision_grade_eligible: false,
  },
  full: {
    name: 'full',
    description: 'The test plans defaults: 300 s phases, 3 repetitions, seeded',
    phase_s: 300,
    warmup_s: 60,
    repetitions: 3,
    pairs: 6,
    suite_budget_s: null,
    max_requests_per_phase: null,
    concurrency_steps: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    workload_scale: 1,
    emulator: { profile: 'llama31-8b-fp8', time_scale: 1 },
    decision_grade_eligible: true,
  },
}
