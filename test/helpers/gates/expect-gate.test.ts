import { describe, expect, it, vi } from 'vitest'
import type { GateContext } from '../../../helpers/gates/evaluate-gate'
import { expectGate } from '../../../helpers/gates/expect-gate'
import type { Gate, GateResult } from '../../../helpers/gates/gate'

const context: GateContext = { suite_id: 's1', scope: 'main', mode: 'B2', target_kind: 'emulator' }
const hard: Gate = {
  id: 'disk_rehydrate',
  metric: 'kvbm_onboard_blocks_d2d_delta',
  expr: 'value>0',
  severity: 'hard',
  reason_code: 'NO_DISK_REHYDRATE',
  reason: 'No blocks came back from disk.',
  blocker_group: 'mechanism_invisibility',
}
const soft: Gate = { ...hard, id: 'attribution', severity: 'soft', reason_code: 'ATTRIBUTION_LOW', reason: 'Disk IO not attributed.' }

// These run inside real Vitest tests and read the real task.meta of the running test.
describe('expectGate', () => {
  it('fails the test for a failed hard gate, after recording the result in task.meta and the sink', (ctx) => {
    const sunk: GateResult[] = []
    expect(() => expectGate(ctx, hard, { value: 0, context }, (r) => sunk.push(r))).toThrow(
      'gate disk_rehydrate (NO_DISK_REHYDRATE): expected value>0, observed 0 — No blocks came back from disk.',
    )
    expect(ctx.task.meta.tierbenchGates).toHaveLength(1)
    expect(ctx.task.meta.tierbenchGates![0]).toMatchObject({ gate_id: 'disk_rehydrate', status: 'fail', observed: 0 })
    expect(sunk.map((r) => r.status)).toEqual(['fail'])
  })

  // Vitest inverts this test: it passes only if the body fails, proving the gate failure is not swallowed.
  it.fails('a failed hard gate fails the test it runs in', (ctx) => {
    expectGate(ctx, hard, { value: 0, context }, () => {})
  })

  it('only records and annotates a failed soft gate', (ctx) => {
    const annotate = vi.fn((message: string, type?: string) => ctx.annotate(message, type))
    const sunk: GateResult[] = []
    const r = expectGate({ task: ctx.task, annotate }, soft, { value: 0, context }, (x) => sunk.push(x))
    expect(r.status).toBe('fail')
    expect(ctx.task.meta.tierbenchGates).toHaveLength(1)
    expect(sunk).toHaveLength(1)
    expect(annotate).toHaveBeenCalledWith(r.message, 'warning')
  })

  it('passes a passing hard gate and appends to existing results', (ctx) => {
    ctx.task.meta.tierbenchGates = [{ gate_id: 'earlier' }]
    const r = expectGate(ctx, hard, { value: 12, context }, () => {})
    expect(r.status).toBe('pass')
    expect(ctx.task.meta.tierbenchGates.map((g) => g.gate_id)).toEqual(['earlier', 'disk_rehydrate'])
  })

  it('fails a hard gate with no data unless the gate allows it', (ctx) => {
    expect(() => expectGate(ctx, hard, { value: null, context }, () => {})).toThrow(/gate disk_rehydrate: no data — value>0 on kvbm_onboard_blocks_d2d_delta/)
    const allowed = expectGate(ctx, { ...hard, allow_no_data: true }, { value: null, context }, () => {})
    expect(allowed.status).toBe('no_data')
    expect(ctx.task.meta.tierbenchGates).toHaveLength(2)
  })

  it('is not_applicable, and does not fail, for a mode the gate excludes', (ctx) => {
    const r = expectGate(ctx, { ...hard, applies_to: { modes: ['B2', 'B3'] } }, { value: 0, context: { ...context, mode: 'B1' } }, () => {})
    expect(r.status).toBe('not_applicable')
  })
})
