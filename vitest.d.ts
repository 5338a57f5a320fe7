import 'vitest'
import type { TagName } from './helpers/suite/tags'

// Typed channels between globalSetup, suites and the reporter. Everything here must survive
// serialization: provide() crosses process boundaries and task.meta is sent to the reporter.
declare module 'vitest' {
  export interface ProvidedContext {
    /** JSON of helpers/suite/run-context.ts RunContext (run id, run dir, clock origin, config). */
    tierbenchRun: string
  }
  export interface TaskMeta {
    /** Set by defineHypothesis: the phase a test ran, its figures and counter deltas. */
    tierbenchPhase?: Record<string, unknown>
    /** Gate results evaluated in this test (helpers/gates). */
    tierbenchGates?: Record<string, unknown>[]
    /** Set on the suite in afterAll: suite id, target info, mode, emulated flag, result dir. */
    tierbenchSuite?: Record<string, unknown>
  }
  export interface TestTags {
    tags: TagName
  }
}
