import { expect } from 'vitest'
import type { Gate, GateResult } from './gate'
import { evaluateGate, type GateInput } from './evaluate-gate'

// Evaluate, record, then assert — in that order, so a failed hard gate still leaves its result in
// task.meta (for the reporter) and in raw/gates.jsonl (via `sink`) before it fails the test.
// A failed soft gate only records, and annotates the test when the context can.

export interface GateTestContext {
  task: { meta: { tierbenchGates?: Record<string, unknown>[] } }
  annotate?: (message: string, type?: string) => Promise<unknown>
}

/** True when this result must fail its test: a failed hard gate, or a hard gate without data. */
export const gateFailsTest = (r: GateResult): boolean =>
  r.severity === 'hard' && (r.status === 'fail' || (r.status === 'no_data' && r.allow_no_data !== true))

export const expectGate = (ctx: GateTestContext, gate: Gate, input: GateInput, sink: (r: GateResult) => void): GateResult => {
  const result = evaluateGate(gate, input)
  ;(ctx.task.meta.tierbenchGates ??= []).push(result as unknown as Record<string, unknown>)
  sink(result)
  if (gateFailsTest(result)) {
    // The message is the whole assertion: vitest prints it, the reporter and dossier reuse it.
    expect(result.status, result.message).toBe('pass')
  } else if (result.severity === 'soft' && (result.status === 'fail' || result.status === 'no_data') && ctx.annotate) {
    // Tracked by the runner until the test ends; a rejected annotation must not fail the test.
    ctx.annotate(result.message, 'warning').catch(() => undefined)
  }
  return result
}
