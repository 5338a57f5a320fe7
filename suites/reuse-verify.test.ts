import { checkIntegrity } from '../helpers/analysis/integrity'
import { kvbmDelta, offloadReuseFigure } from '../helpers/analysis/mechanism'
import { GATE_INTEGRITY, GATE_KV_REUSE } from '../helpers/gates/catalog'
import type { Gate } from '../helpers/gates/gate'
import { type PhaseContext, type PhasePlan, defineHypothesis } from '../helpers/suite/define-hypothesis'
import { fixedContext } from '../helpers/workload/fixed-context'
import { reuseRepeats } from '../helpers/workload/reuse-repeats'

// reuse_verify (runbook 004 §9a, prior harness reuse_verify): the same request sent N times must
// carry identical identity hashes (`identical_inputs_confirmed`), KVBM must match tokens on every
// repeat after the first (Δkvbm_matched_tokens > 0) and, at temperature 0, every repeat must
// return the first answer byte for byte.
//
// KVBM's matched_tokens counts only tokens onboarded from the host or disk tier; a back-to-back
// repeat is served from the device prefix cache and moves no KVBM counter (on Dynamo as on kvsim).
// So between repeats a flush of unrelated prompts (1.5 x the device tier) pushes the repeated
// prompt out of G1: the next repeat must then come back from G2/G3, which is the reuse KVBM
// exists for. The flushes are warmup phases and never count as repeats.

const REPEATS = 3
// Device tier of the emulated worker, in 32-token blocks (tiny: 96; full: shrunk so one flush of
// 1.5 x G1 stays within the host tier and the repeated prompt survives in G2).
const G1_BLOCKS = { smoke: 96, full: 1024 }
const PROMPT_TOKENS = { smoke: 1024, full: 2048 }
const FLUSH_PROMPT_TOKENS = { smoke: 1024, full: 4096 }

/** Servers without KVBM (llama.cpp) report reuse per response (timings.cache_n / cached_tokens). */
const GATE_SERVER_REUSE: Gate = {
  id: 'server_cached_tokens',
  metric: 'server_cached_tokens_min',
  expr: 'value>0',
  severity: 'hard',
  reason_code: 'NO_KV_REUSE',
  reason: 'The workload created reuse opportunities but the server reported no cached prompt tokens on a repeat: it was a bad reuse test (W3).',
  blocker_group: 'mechanism_invisibility',
  applies_to: { targets: ['llamacpp'] },
  evidence_role: 'mechanism',
}

const GATE_IDENTICAL_INPUTS: Gate = {
  id: 'identical_inputs',
  metric: 'distinct_identity_hashes',
  expr: 'value==1',
  severity: 'hard',
  reason_code: 'IDENTITY_MISMATCH_DETECTED',
  reason: 'The repeats did not carry one identity hash (model, prompt, params): a reuse test with different inputs proves nothing.',
  blocker_group: 'mechanism_invisibility',
}

defineHypothesis({
  id: 'reuse_verify',
  title: 'reuse_verify: identical repeats carry one identity, KVBM matches tokens after the first, and answers stay identical',
  tags: ['reuse_verify', 'stack:B', 'mode:B2', 'dataset:S'],
  // Identical requests hit the KV cache (mechanism) and get identical answers (integrity).
  evidence: ['mechanism', 'answer_integrity', 'repeatability'],
  charts: ['kvbm_deltas_by_phase', 'kvbm_timeseries'],
  gates: [GATE_IDENTICAL_INPUTS, GATE_KV_REUSE, GATE_SERVER_REUSE, GATE_INTEGRITY],
  phases: (s) => {
    const p = s.profileName
    // llama.cpp has a host tier (B1: --cache-ram) but no disk tier: its reuse is host-RAM reuse.
    const mode = s.targetKind === 'llamacpp' ? 'B1' : 'B2'
    const llamacpp = s.targetKind === 'llamacpp'
    const maxTokens = p === 'smoke' ? 16 : 64
    const g1Tokens = G1_BLOCKS[p] * s.model.tokens_per_block
    const flushPrompts = Math.ceil((1.5 * g1Tokens) / FLUSH_PROMPT_TOKENS[p])
    // The device tier the flush is sized against, as a tier plan every driver honours.
    const tiers = { device_kv_tokens: g1Tokens }
    const ctxOf = (c: PhaseContext) => s.workloadContext(c.target.model, { maxInputTokens: c.target.maxInputTokens })
    const repeats = (c: PhaseContext) => reuseRepeats(ctxOf(c), { name: 'reuse_verify', repeats: REPEATS, contextTokens: PROMPT_TOKENS[p], params: { max_tokens: maxTokens } })
    const plans: PhasePlan[] = [
      {
        // Builds the tokenizer corpus and wakes the worker, so the first repeat's schedule delay
        // measures the client, not a one-time setup; shares no block with the repeated prompt.
        name: 'warmup',
        kind: 'warmup',
        mode,
        tiers,
        workload: (c) => fixedContext(ctxOf(c), { name: 'reuse_warmup', contextTokens: 256, requests: 2, nonce: 'per_request', params: { max_tokens: maxTokens } }),
        executor: { type: 'constantConcurrency', concurrency: 1, iterations: 2 },
      },
    ]
    for (let r = 1; r <= REPEATS; r++) {
      if (r > 1)
        plans.push({
          name: `flush_${r - 1}`,
          kind: 'warmup',
          mode,
          tiers,
          // Unique prompts (nonce per request) that share no block with the repeated prompt.
          workload: (c) =>
            fixedContext(ctxOf(c), { name: `reuse_flush_${r - 1}`, contextTokens: FLUSH_PROMPT_TOKENS[p], requests: flushPrompts, nonce: 'per_request', params: { max_tokens: maxTokens } }),
          executor: { type: 'constantConcurrency', concurrency: 1, iterations: flushPrompts },
        })
      plans.push({
        name: `reuse_${r}`,
        kind: 'measure',
        mode,
        tiers,
        // reuse_1..3 are steps of one protocol (cold, then repeats), not repetitions: the DSL
        // repeats the whole protocol per profile.repetitions, each from a fresh worker.
        // One scope for every repeat: the same nonce, so the repeats are byte-identical.
        nonceScope: 'reuse',
        workload: (c) => repeats(c).phases[r - 1].workload,
        executor: { type: 'constantConcurrency', concurrency: 1, iterations: 1 },
      })
    }
    if (llamacpp)
      // Cold-cache control: the same prompt computed without the prompt cache (cache_prompt false).
      // Its answer is the reference: KV_CORRUPTION means a warm answer differs from the cold one.
      plans.push({
        name: 'cold_control',
        kind: 'probe',
        mode,
        tiers,
        nonceScope: 'reuse',
        workload: (c) => {
          const src = repeats(c).phases[0].workload
          if (src.kind !== 'stream') throw new Error(`Expected reuse repeats to be a request stream, got ${src.kind}`)
          return {
            kind: 'stream',
            source: {
              name: 'reuse_verify_cold',
              next: () => {
                const item = src.source.next()
                return item && { request: { ...item.request, body: { ...item.request.body, cache_prompt: false }, meta: { ...item.request.meta, request_id: `${item.request.meta.request_id}-cold` } } }
              },
            },
          }
        },
        executor: { type: 'constantConcurrency', concurrency: 1, iterations: 1 },
      })
    return plans
  },
  conclude: (c) => {
    const reuse = [...c.phases.values()].filter((o) => o.plan.name.startsWith('reuse_'))
    const records = reuse.flatMap((o) => o.requests)
    const identities = new Set(records.map((r) => r.identity_hash))
    c.gate(GATE_IDENTICAL_INPUTS, {
      value: records.length === REPEATS ? identities.size : null,
      scope: 'reuse_*',
      details: { reuse_verify_identity: identities.size === 1 ? 'identical_inputs_confirmed' : 'identity_mismatch_detected', identity_hashes: [...identities], requests: records.length },
    })
    // Offload-tier reuse in normalised tokens (KVBM matched_tokens, vLLM external hits, LMCache hit tokens, …).
    const matched = reuse.map((o) => ({ phase: o.plan.name, matched_tokens: offloadReuseFigure(o.record.deltas).value, cached_tokens: o.requests[0]?.cached_tokens ?? null }))
    c.note('matched_tokens_by_repeat', matched)
    const later = matched.slice(1)
    // Every repeat after the first must match: the smallest of them is the gated figure.
    const laterValues = later.map((m) => m.matched_tokens)
    c.gate(GATE_KV_REUSE, {
      value: laterValues.length > 0 && laterValues.every((v) => v !== null) ? Math.min(...(laterValues as number[])) : null,
      scope: 'reuse_2..',
      details: { matched, reuse_verify_signal_kvbm: laterValues.some((v) => (v ?? 0) > 0) ? 'prefix_reuse_detected' : 'no_prefix_reuse_signal' },
    })
    const cached = later.map((m) => m.cached_tokens)
    c.gate(GATE_SERVER_REUSE, {
      value: cached.length > 0 && cached.every((v) => v !== null) ? Math.min(...(cached as number[])) : null,
      scope: 'reuse_2..',
      details: { matched },
    })
    // Reference: the cold-cache control where there is one, else the first repeat (cold on a fresh
    // cache, and checked cold by the contamination gate). Corruption = a warm answer that differs.
    const control = c.phases.get('cold_control')?.requests ?? []
    const reference = control.length ? control : (reuse[0]?.requests ?? [])
    // Two cold answers (reuse_1 on a fresh cache, the control without the cache) must agree before a
    // warm one can be judged: if they differ the engine is not deterministic here (near-tie logits
    // of a random-weight model), and that is no data on integrity, not KV corruption.
    const coldCheck = control.length ? checkIntegrity({ records: reuse[0]?.requests ?? [], reference: control }) : null
    const warm = reuse.slice(1).flatMap((o) => o.requests)
    const integrity = checkIntegrity({ records: warm, reference })
    const unstable = coldCheck !== null && coldCheck.mismatches > 0
    c.gate(GATE_INTEGRITY, {
      value: integrity.compared > 0 && !unstable ? integrity.mismatches : null,
      scope: 'reuse_2..',
      details: {
        reference: control.length ? 'cold_control (cache_prompt false)' : 'reuse_1',
        ...(coldCheck ? { cold_answers_agree: !unstable } : {}),
        ...integrity,
      },
    })
  },
})
