import { z } from 'zod'

// <suite>/tests.json: the test outcomes Vitest knows and the run dir otherwise does not. Written by
// TierbenchReporter at the end of the run; read back by `tierbench report` to rebuild the verdict.
export const SuiteTestOutcome = z.object({
  name: z.string(),
  full_name: z.string(),
  state: z.enum(['passed', 'failed', 'skipped', 'pending']),
  tags: z.array(z.string()),
  duration_ms: z.number().nullable(),
  /** First line of each error message (gate failures say `gate <id> (<CODE>): …`). */
  errors: z.array(z.string()),
})
export type SuiteTestOutcome = z.infer<typeof SuiteTestOutcome>

export const SuiteTests = z.object({
  suite_id: z.string(),
  module: z.string().nullable(),
  tests: z.array(SuiteTestOutcome),
  /** Vitest's end reason for the whole run. */
  run_reason: z.enum(['passed', 'failed', 'interrupted']),
  /** Unhandled errors Vitest reported for the run (messages). */
  run_errors: z.array(z.string()),
  written_wall: z.string(),
})
export type SuiteTests = z.infer<typeof SuiteTests>

export const suiteTestsFile = 'tests.json'
