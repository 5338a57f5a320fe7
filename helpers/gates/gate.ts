import { z } from 'zod'
import { KvModeId } from '../config/kv-mode'

// Gates are data (k6 thresholds style): one helper evaluates a gate, records the result (task.meta
// and raw/gates.jsonl) and then asserts, so a failed hard gate fails its Vitest test.

/** The canonical plan's blocked outcomes (seed 002), plus run validity. */
export const BlockerGroup = z.enum([
  'control_gap',
  'mechanism_invisibility',
  'attribution_failure',
  'reproducibility_failure',
  'long_context_enablement_failure',
  'run_validity',
  /** The harness's own numbers are wrong for this target (working set fits the upper tiers, plan exceeds the machine): not a platform finding. */
  'harness_setup',
])
export type BlockerGroup = z.infer<typeof BlockerGroup>

/**
 * Which link of the canonical evidence chain (seed 002) a passing gate supplies. `answer_integrity`
 * (replayed answers identical to the reference) is the link reuse and eviction claims add: a KV tier
 * that returns corrupt blocks can show every other link.
 */
export const EvidenceRole = z.enum(['mechanism', 'os_corroboration', 'user_impact', 'repeatability', 'answer_integrity'])
export type EvidenceRole = z.infer<typeof EvidenceRole>

export const Gate = z.object({
  id: z.string().regex(/^[a-z0-9_.-]+$/),
  /** Metric the expression reads, e.g. `ttft_ms`, `kvbm_onboard_blocks_d2d_delta`, `aligned_pct`. */
  metric: z.string(),
  /** k6 grammar: `p(99)<2000`, `value>0`, `rate<=0.01`, `max<1`, `avg<5`, `count>0`. */
  expr: z.string(),
  severity: z.enum(['hard', 'soft']),
  reason_code: z.string().regex(/^[A-Z0-9_]+$/),
  /** Human sentence: why the gate exists. */
  reason: z.string(),
  blocker_group: BlockerGroup,
  /** Only evaluated where these hold; elsewhere the result is `not_applicable`. */
  applies_to: z
    .object({
      modes: z.array(KvModeId).optional(),
      targets: z.array(z.enum(['emulator', 'external', 'llamacpp', 'vllm', 'sglang', 'dynamo'])).optional(),
    })
    .optional(),
  /** A hard gate with nothing to evaluate fails its test unless this is set. */
  allow_no_data: z.boolean().optional(),
  /** Evidence-chain link this gate supplies when it passes (verdict.ts). */
  evidence_role: EvidenceRole.optional(),
})
export type Gate = z.infer<typeof Gate>

export const GateResult = z.object({
  gate_id: z.string(),
  suite_id: z.string(),
  /** Phase (or phase group like `replay*`) the gate looked at; null for suite-level gates. */
  scope: z.string().nullable(),
  metric: z.string(),
  expr: z.string(),
  severity: z.enum(['hard', 'soft']),
  reason_code: z.string(),
  blocker_group: BlockerGroup,
  status: z.enum(['pass', 'fail', 'not_applicable', 'no_data']),
  observed: z.number().nullable(),
  threshold: z.number().nullable(),
  message: z.string(),
  /** Files (relative to the run dir) and figures a reviewer needs to check the result. */
  evidence: z.object({ files: z.array(z.string()), details: z.record(z.string(), z.unknown()) }),
  wall_ms: z.number(),
  /** Copied from the gate so the verdict can judge no_data without the catalog. */
  allow_no_data: z.boolean().optional(),
  evidence_role: EvidenceRole.optional(),
  /** Where the DSL evaluated it: a phase test, or the suite's conclusion (reproduce commands differ). */
  source: z.enum(['phase', 'suite']).optional(),
})
export type GateResult = z.infer<typeof GateResult>
