import { join } from 'node:path'

// One place that names every file of a run bundle, so writers (harness, collectors) and readers
// (reporter, `tierbench report`) never disagree. Raw files are appended during the run; derived
// files are written only by the reporter and can be regenerated from the raw ones.
export const runLayout = (runDir: string) => ({
  root: runDir,
  manifest: join(runDir, 'manifest.json'),
  rawDir: join(runDir, 'raw'),
  requests: join(runDir, 'raw', 'requests.jsonl'),
  runEvents: join(runDir, 'raw', 'events.jsonl'),
  dossier: join(runDir, 'dossier.md'),
  runVerdict: join(runDir, 'verdict.json'),
  suite: (suiteId: string) => suiteLayout(join(runDir, suiteId)),
})

export const suiteLayout = (suiteDir: string) => ({
  root: suiteDir,
  /** Suite definition, target info and config at beforeAll (raw). */
  suiteInfo: join(suiteDir, 'suite.json'),
  /** One PhaseRecord line per finished phase (raw). */
  phases: join(suiteDir, 'raw', 'phases.jsonl'),
  /** One GateResult line per evaluated gate (raw). */
  gates: join(suiteDir, 'raw', 'gates.jsonl'),
  /** Mode changes, faults, interruptions, notes (raw). */
  events: join(suiteDir, 'raw', 'events.jsonl'),
  telemetryDir: join(suiteDir, 'telemetry'),
  telemetrySeries: (collector: string) => join(suiteDir, 'telemetry', `${collector}.jsonl`),
  phaseDeltasDir: join(suiteDir, 'phase_deltas'),
  phaseDeltas: (phase: string) => join(suiteDir, 'phase_deltas', `${phase}.json`),
  logsDir: join(suiteDir, 'logs'),
  contentionDir: join(suiteDir, 'contention'),
  // Derived (reporter only):
  summary: join(suiteDir, 'summary.json'),
  verdict: join(suiteDir, 'verdict.json'),
  report: join(suiteDir, 'report.md'),
  chartsDir: join(suiteDir, 'charts'),
  csv: (name: string) => join(suiteDir, `${name}.csv`),
})

export type RunLayout = ReturnType<typeof runLayout>
export type SuiteLayout = ReturnType<typeof suiteLayout>
