import { describe, expect, test } from 'vitest'
import type { RequestRecord } from '../../../helpers/client/request-record'
import type { Gate } from '../../../helpers/gates/gate'
import type { LoadPhasePlan, PhaseApi, PhaseGateInput, PhaseOutcome } from '../../../helpers/suite/define-hypothesis'
import { longContextPreflight, requiredEngineTokens } from '../../../helpers/suite/long-context-preflight'
import type { SuiteSettings } from '../../../helpers/suite/suite-settings'

// In-test doubles of the suite settings and the phase API: the preflight's decisions (send or
// refuse, pass or fail, what evidence) are checked without a server.

const settings = {
  workloadContext: (model: string, extra = {}) => ({ model, tokenizer: 'llama3', template: 'llama3', seed: 7, ...extra }),
} as unknown as SuiteSettings

interface Recorded {
  gates: { gate: Gate; input: PhaseGateInput }[]
  phases: LoadPhasePlan[]
  notes: Record<string, unknown>
}

const apiDouble = (maxInputTokens: number | null, reply: (plan: LoadPhasePlan) => Partial<RequestRecord> | null): { api: PhaseApi; rec: Recorded } => {
  const rec: Recorded = { gates: [], phases: [], notes: {} }
  const api = {
    target: { model: 'kvsim/tiny', maxInputTokens },
    phases: new Map(),
    runPhase: async (plan: LoadPhasePlan) => {
      rec.phases.push(plan)
      const w = plan.workload({} as never)
      const item = w.kind === 'stream' ? w.source.next() : null
      const r = reply(plan)
      return { plan, requests: r ? [{ request_id: item?.request.meta.request_id ?? 'none', ...r }] : [] } as unknown as PhaseOutcome
    },
    gate: (gate: Gate, input: PhaseGateInput) => {
      rec.gates.push({ gate, input })
      return { status: input.value === 1 ? 'pass' : 'fail' }
    },
    note: (k: string, v: unknown) => {
      rec.notes[k] = v
    },
    event: () => undefined,
  } as unknown as PhaseApi
  return { api, rec }
}

describe('longContextPreflight', () => {
  test('a target whose declared max input is too small fails LONG_CONTEXT_UNAVAILABLE without sending the oversize probe', async () => {
    const { api, rec } = apiDouble(8192, () => ({ ok: true }))
    await longContextPreflight(settings, { mode: 'B2', requiredInputTokens: 32768 }).run(api)
    expect(rec.phases).toHaveLength(0)
    expect(rec.gates).toHaveLength(1)
    expect(rec.gates[0].gate.reason_code).toBe('LONG_CONTEXT_UNAVAILABLE')
    expect(rec.gates[0].input.value).toBe(0)
    const d = rec.gates[0].input.details as Record<string, unknown>
    expect(d.max_input_tokens).toBe(8192)
    expect(d.required_engine_tokens).toBe(requiredEngineTokens(32768, 16))
    expect(String(d.refused_reason)).toMatch(/^Expected the target's max input to be at least 33040 tokens .* got 8192/)
  })

  test('a target that serves one real 32k-token request passes with the probe and its needle as evidence', async () => {
    const { api, rec } = apiDouble(40960, () => ({ ok: true, http_status: 200, error_class: null, error_message: null, input_tokens: 32768, output_text: 'MAPLE' }))
    await longContextPreflight(settings, { name: 'pf', mode: 'B2', requiredInputTokens: 32768 }).run(api)
    expect(rec.phases.map((p) => p.name)).toEqual(['pf-probe'])
    expect(rec.phases[0].step).toEqual({ context_tokens: 32768 })
    expect(rec.gates[0].input.value).toBe(1)
    const probe = (rec.gates[0].input.details as { probe: { ok: boolean; prompt_tokens: number; needle_answered: boolean | null } }).probe
    expect(probe.ok).toBe(true)
    expect(probe.prompt_tokens).toBe(32768)
    expect(typeof probe.needle_answered).toBe('boolean')
  })

  test('a refused probe fails the gate and names the request and its error', async () => {
    const { api, rec } = apiDouble(null, () => ({ ok: false, http_status: 400, error_class: 'http_4xx', error_message: 'Expected prompt to be at most 8192 tokens', input_tokens: null }))
    await longContextPreflight(settings, { name: 'pf', mode: 'B2', requiredInputTokens: 32768 }).run(api)
    expect(rec.phases).toHaveLength(1)
    expect(rec.gates[0].input.value).toBe(0)
    expect(String((rec.gates[0].input.details as Record<string, unknown>).refused_reason)).toMatch(/^Expected the 32768-token probe long_context_pf-000000 to complete, got http_4xx: Expected prompt to be at most 8192 tokens/)
  })
})
