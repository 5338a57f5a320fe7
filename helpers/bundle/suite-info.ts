import { z } from 'zod'
import { EvidenceRole, Gate } from '../gates/gate'

// <suite>/suite.json: what the suite claimed, against what, with which gates and charts.
export const SuiteInfo = z.object({
  suite_id: z.string(),
  hypothesis: z.string(),
  title: z.string(),
  tags: z.array(z.string()),
  run_id: z.string(),
  file: z.string(),
  profile: z.string(),
  emulated: z.boolean(),
  target: z.record(z.string(), z.unknown()),
  collectors: z.array(z.string()),
  gates: z.array(Gate),
  /** Evidence-chain links the suite's claim needs (verdict.ts); absent in bundles written before suites declared them. */
  required_evidence: z.array(EvidenceRole).optional(),
  /** Repetitions of each measured phase this run planned (profile.repetitions). */
  repetitions: z.number().int().positive().optional(),
  /** Chart ids the reporter must draw for this suite (reporters/charts catalog). */
  charts: z.array(z.string()),
  started_wall_ms: z.number(),
})
export type SuiteInfo = z.infer<typeof SuiteInfo>
