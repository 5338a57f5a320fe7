import { inject } from 'vitest'

// What globalSetup hands every suite file (through provide/inject, so it must be plain JSON):
// where the run lives, the shared clock origin, and the fully resolved configuration.
export interface RunContext {
  runId: string
  runDir: string
  resultsDir: string
  /** Per-run scratch (cache dirs, fio files); removed at teardown. */
  scratchDir: string
  /** process.hrtime.bigint() at the run origin, decimal string. */
  originNs: string
  /** The resolved RunConfig (helpers/config), as JSON. */
  config: Record<string, unknown>
}

export const getRunContext = (): RunContext => {
  const raw = inject('tierbenchRun')
  if (!raw)
    throw new Error(
      'Expected the tierbench run context from globalSetup, got none: run suites through the `suites` project (npx vitest run suites/…)',
    )
  return JSON.parse(raw) as RunContext
}
