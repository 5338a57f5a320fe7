import type { TierPlan } from '../tiers/tier-plan'
import type { KvMode, KvModeId } from '../config/kv-mode'
import { GATE_LONG_CONTEXT } from '../gates/catalog'
import { needleAnswered } from '../analysis/integrity'
import { promptCeiling } from '../workload/prompt-preflight'
import { fixedContext } from '../workload/fixed-context'
import type { CustomPhasePlan, PhaseApi } from './define-hypothesis'
import type { SuiteSettings } from './suite-settings'

// Dataset L gate (canonical plan P2.1 and blocked outcome 5): before any >= 32k-token load, prove
// the target serves one. Two checks, both recorded as evidence on GATE_LONG_CONTEXT
// (LONG_CONTEXT_UNAVAILABLE): the engine's declared max input must admit the largest prompt the
// suite will send (prompt + max_tokens + margin), and one real request of `probeTokens` must stream
// to the end. When the declared limit is too small the oversize request is NOT sent — on Spark an
// oversize prompt unregisters the worker (prior harness §8) — and prompts are never shrunk to fit:
// the suite fails with the limit and the refused size as its blocker evidence.

export interface LongContextPreflightOptions {
  /** @default 'preflight-long-context' */
  name?: string
  mode: KvModeId | KvMode
  /** Worker env; the same as the suite's later phases, so no extra restart. */
  targetEnv?: Record<string, string>
  /** Tier plan and engine input limit; the same as the suite's later phases, so no extra restart. */
  tiers?: Partial<TierPlan>
  maxInputTokens?: number
  /** Largest prompt (tokens) the suite's workloads will send. */
  requiredInputTokens: number
  /** Size of the one real probe request. @default 32768 (dataset L's floor) */
  probeTokens?: number
  /** @default 16 */
  maxTokens?: number
  /** Preflight margin, as the workload preflight uses. @default 256 */
  marginTokens?: number
}

export interface LongContextPreflightResult {
  ok: boolean
  max_input_tokens: number | null
  required_input_tokens: number
  required_engine_tokens: number
  probe_tokens: number
  probe: { request_id: string; ok: boolean; status: number | null; error_class: string | null; error: string | null; prompt_tokens: number | null; needle_answered: boolean | null } | null
  refused_reason: string | null
}

/** The tokens an engine must accept to serve a prompt of `inputTokens` with this output budget. */
export const requiredEngineTokens = (inputTokens: number, maxTokens: number, marginTokens = 256): number => inputTokens + maxTokens + marginTokens

export const longContextPreflight = (s: SuiteSettings, o: LongContextPreflightOptions): CustomPhasePlan => {
  const name = o.name ?? 'preflight-long-context'
  const maxTokens = o.maxTokens ?? 16
  const margin = o.marginTokens ?? 256
  const probeTokens = o.probeTokens ?? 32768
  return {
    name,
    kind: 'probe',
    mode: o.mode,
    ...(o.targetEnv ? { targetEnv: o.targetEnv } : {}),
    ...(o.tiers ? { tiers: o.tiers } : {}),
    ...(o.maxInputTokens !== undefined ? { maxInputTokens: o.maxInputTokens } : {}),
    run: async (api: PhaseApi) => {
      const result = await runPreflight(api, s, { name, maxTokens, margin, probeTokens, requiredInputTokens: o.requiredInputTokens, mode: o.mode, targetEnv: o.targetEnv, tiers: o.tiers, maxInputTokens: o.maxInputTokens })
      api.note('long_context_preflight', result)
      api.gate(GATE_LONG_CONTEXT, { value: result.ok ? 1 : 0, details: { ...result } })
    },
  }
}

const runPreflight = async (
  api: PhaseApi,
  s: SuiteSettings,
  o: { name: string; maxTokens: number; margin: number; probeTokens: number; requiredInputTokens: number; mode: KvModeId | KvMode; targetEnv?: Record<string, string>; tiers?: Partial<TierPlan>; maxInputTokens?: number },
): Promise<LongContextPreflightResult> => {
  const limit = api.target.maxInputTokens
  const required = requiredEngineTokens(o.requiredInputTokens, o.maxTokens, o.margin)
  const base = { max_input_tokens: limit, required_input_tokens: o.requiredInputTokens, required_engine_tokens: required, probe_tokens: o.probeTokens }
  if (limit !== null && promptCeiling({ maxInputTokens: limit, maxTokens: o.maxTokens, marginTokens: o.margin }) < Math.max(o.requiredInputTokens, o.probeTokens))
    return {
      ...base,
      ok: false,
      probe: null,
      refused_reason: `Expected the target's max input to be at least ${required} tokens (prompt ${o.requiredInputTokens} + max_tokens ${o.maxTokens} + margin ${o.margin}), got ${limit}; the probe was not sent (an oversize prompt unregisters a Spark worker)`,
    }
  // An unknown limit (external targets) is settled by the real request alone.
  const ctx = s.workloadContext(api.target.model, { maxInputTokens: limit, params: { max_tokens: o.maxTokens } })
  const outcome = await api.runPhase({
    name: `${o.name}-probe`,
    kind: 'probe',
    mode: o.mode,
    ...(o.targetEnv ? { targetEnv: o.targetEnv } : {}),
    ...(o.tiers ? { tiers: o.tiers } : {}),
    ...(o.maxInputTokens !== undefined ? { maxInputTokens: o.maxInputTokens } : {}),
    step: { context_tokens: o.probeTokens },
    // A needle deep in the context: the answer proves the engine attended to the whole prompt.
    workload: () => fixedContext(ctx, { name: probeName(o.name), contextTokens: o.probeTokens, requests: 1, nonce: 'per_request', needle: { depth: 0.1 } }),
    executor: { type: 'constantConcurrency', concurrency: 1, iterations: 1 },
  })
  const r = outcome.requests[0]
  const answer = neededAnswer(ctx, probeName(o.name), o.probeTokens)
  const probe = r
    ? {
        request_id: r.request_id,
        ok: r.ok,
        status: r.http_status,
        error_class: r.error_class,
        error: r.error_message,
        prompt_tokens: r.input_tokens,
        needle_answered: answer === null ? null : needleAnswered(r.output_text, answer),
      }
    : null
  const ok = probe !== null && probe.ok
  return {
    ...base,
    ok,
    probe,
    refused_reason: ok ? null : probe === null ? 'Expected one probe request record, got none' : `Expected the ${o.probeTokens}-token probe ${probe.request_id} to complete, got ${probe.error_class ?? 'an error'}: ${probe.error ?? `HTTP ${probe.status}`}`,
  }
}

/** The needle's expected answer (request meta, not the record), rebuilt from the same seed. */
const neededAnswer = (ctx: ReturnType<SuiteSettings['workloadContext']>, name: string, tokens: number): string | null => {
  const w = fixedContext(ctx, { name, contextTokens: tokens, requests: 1, nonce: 'per_request', needle: { depth: 0.1 } })
  const item = w.kind === 'stream' ? w.source.next() : null
  return item?.request.meta.needle_answer ?? null
}

/** Workload name of the probe: per preflight phase, so request ids stay unique across modes. */
const probeName = (phase: string): string => `long_context_${phase.replace(/[^a-zA-Z0-9]+/g, '_')}`
