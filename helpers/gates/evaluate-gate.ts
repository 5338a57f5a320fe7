import type { Gate, GateResult } from './gate'
import { aggregate } from './aggregate'
import { compare, parseExpr } from './parse-expr'

// Evaluates one gate against samples (`values`, aggregated by the expression) or an already
// aggregated figure (`value`, used as is whatever the aggregation says, e.g. a phase summary's
// p99). Outcomes: pass | fail | not_applicable (applies_to excludes the mode or target) | no_data.

export type TargetKind = 'emulator' | 'external' | 'llamacpp' | 'vllm' | 'sglang' | 'dynamo'

export interface GateContext {
  suite_id: string
  /** Phase (or group like `replay*`) the figures come from; null for suite-level gates. */
  scope: string | null
  /** KV mode id (`B2p`; the label `B2'` is accepted). */
  mode: string
  target_kind: TargetKind
}

export interface GateEvidence {
  files: string[]
  details: Record<string, unknown>
}

export interface GateInput {
  values?: readonly number[]
  value?: number | null
  context: GateContext
  evidence?: GateEvidence
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6))))

const normalizeMode = (mode: string): string => mode.replace("'", 'p')

export const evaluateGate = (gate: Gate, input: GateInput): GateResult => {
  const parsed = parseExpr(gate.expr)
  const { context } = input
  const base = {
    gate_id: gate.id,
    suite_id: context.suite_id,
    scope: context.scope,
    metric: gate.metric,
    expr: gate.expr,
    severity: gate.severity,
    reason_code: gate.reason_code,
    blocker_group: gate.blocker_group,
    threshold: parsed.threshold,
    evidence: input.evidence ?? { files: [], details: {} },
    wall_ms: Date.now(),
    ...(gate.allow_no_data !== undefined ? { allow_no_data: gate.allow_no_data } : {}),
    ...(gate.evidence_role !== undefined ? { evidence_role: gate.evidence_role } : {}),
  }
  const modes = gate.applies_to?.modes
  const targets = gate.applies_to?.targets
  const mode = normalizeMode(context.mode)
  if ((modes && !modes.includes(mode as never)) || (targets && !targets.includes(context.target_kind)))
    return {
      ...base,
      status: 'not_applicable',
      observed: null,
      message: `gate ${gate.id}: not applicable to mode ${context.mode} on target ${context.target_kind}`,
    }

  let observed: number | null = null
  let sampleCount: number | null = null
  if (input.values && input.values.length > 0) {
    observed = aggregate(parsed.aggregation, input.values)
    sampleCount = input.values.length
  } else if (typeof input.value === 'number' && !Number.isNaN(input.value)) observed = input.value
  else if (parsed.aggregation.kind === 'count' && input.values) observed = 0

  if (observed === null)
    return {
      ...base,
      status: 'no_data',
      observed: null,
      // No data is no data: never the failure's own reason code (an empty phase is not KV corruption).
      message: `gate ${gate.id}: no data — ${gate.expr} on ${gate.metric} could not be evaluated (nothing was measured for it). What it checks: ${gate.reason}`,
    }
  const pass = compare(observed, parsed.op, parsed.threshold)
  const samples = sampleCount === null ? '' : ` over ${sampleCount} samples`
  return {
    ...base,
    status: pass ? 'pass' : 'fail',
    observed,
    message: pass
      ? `gate ${gate.id} (${gate.reason_code}): ${gate.expr} holds, observed ${fmt(observed)}${samples}`
      : `gate ${gate.id} (${gate.reason_code}): expected ${gate.expr}, observed ${fmt(observed)}${samples} — ${gate.reason}`,
  }
}
