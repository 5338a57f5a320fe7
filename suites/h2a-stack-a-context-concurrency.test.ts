import { GATE_STACK_A_DISK_FLAT } from '../helpers/gates/catalog'
import type { Gate } from '../helpers/gates/gate'
import { excessOverIdlePct } from '../helpers/analysis/idle-baseline'
import { type PhaseOutcome, type PhasePlan, defineHypothesis } from '../helpers/suite/define-hypothesis'
import { fixedContext } from '../helpers/workload/fixed-context'
import { overLimitBehaviour } from '../helpers/target/over-limit'
import { PromptPreflightError } from '../helpers/workload/prompt-preflight'

// H2A (v3.0 plan §8.3, stack A): on UMA-only KV (B0), more context and more concurrency do not
// create storage traffic: NVMe reads/s stay at idle, latency grows from queueing and compute only,
// and what fails is rejection (a prompt over the engine's max input is refused at once), not a
// slow request. Method: an idle baseline (a trickle of tiny requests, to measure the device's own
// background reads/s), then a context × concurrency sweep with per-request nonces (no reuse), then
// an over-limit probe whose prompts exceed the engine's max input. Where the driver says the server
// refuses them cleanly (kvsim, vLLM, llama.cpp) they are sent without the client preflight, so the
// server must refuse them; on a server that unregisters on oversize (Dynamo + TRT-LLM) sending one
// would invalidate the run (MODEL_DROPPED), so the evidence is the preflight's refusal before send.
// The probe records which path it took.

/** Set by the over-limit phase: which evidence path it took on this target. */
let overlimitPath: { path: 'server_rejection' | 'preflight_refusal'; behaviour: string; refusal?: string | null } | null = null

const REJECTED_ALL: Gate = {
  id: 'h2a_overlimit_rejected',
  metric: 'overlimit_rejected_share',
  expr: 'value==1',
  severity: 'hard',
  reason_code: 'H2A_OVERLIMIT_NOT_REJECTED',
  reason: 'Every prompt over the engine max input must be refused with a 4xx: on stack A capacity failures are rejections, not slow or truncated answers.',
  blocker_group: 'control_gap',
}

const REJECTED_FAST: Gate = {
  id: 'h2a_rejection_latency',
  metric: 'rejection_e2e_ms',
  expr: 'p(99)<=1000',
  severity: 'hard',
  reason_code: 'H2A_SLOW_REJECTION',
  reason: 'A refused over-limit prompt must come back within 1 s at p99: a rejection that waits in the queue is a slow failure, not a rejection.',
  blocker_group: 'control_gap',
  // What users get at the limit: a prompt over max input is refused at once, not served slowly.
  evidence_role: 'user_impact',
}

/** Device reads per second over one phase (iostat r/s over the whole phase). */
const readsPerS = (o: PhaseOutcome): number | null => {
  const ios = o.record.deltas.block_device?.read_ios ?? null
  const s = (o.record.t_end_ms - o.record.t_start_ms) / 1000
  return ios !== null && s > 0 ? ios / s : null
}

defineHypothesis({
  id: 'h2a',
  title: 'h2a: on stack A more context and concurrency add no NVMe traffic, and over-limit prompts are rejected, not slow',
  tags: ['h2a', 'stack:A', 'mode:B0', 'dataset:S'],
  // Stack A: the OS shows no storage traffic, and what users see at the limit is a fast rejection.
  evidence: ['os_corroboration', 'user_impact', 'repeatability'],
  charts: ['latency_by_step', 'block_io_timeseries', 'ttft_cdf', 'p99_vs_r_await'],
  gates: [GATE_STACK_A_DISK_FLAT, REJECTED_ALL, REJECTED_FAST],
  phases: (s) => {
    const smoke = s.profileName === 'smoke'
    const maxTokens = smoke ? 16 : 128
    // Plan: context 256 → 2048 (L70B). Smoke keeps three contexts and two concurrencies.
    const contexts = smoke ? [256, 1024, 2048] : [256, 512, 1024, 2048]
    const concurrencies = smoke ? [1, 4] : s.profile.concurrency_steps
    const perPhase = smoke ? 12 : null
    const ctxFor = (p: { target: { model: string; maxInputTokens: number | null } }) =>
      s.workloadContext(p.target.model, { maxInputTokens: p.target.maxInputTokens })
    const plans: PhasePlan[] = [
      {
        name: 'idle',
        kind: 'probe',
        mode: 'B0',
        leg: 'idle baseline',
        // One 64-token request every 2 s keeps the target alive while the disk shows its idle r/s.
        workload: (p) => fixedContext(ctxFor(p), { name: 'h2a-idle', contextTokens: 64, nonce: 'per_request', params: { max_tokens: 4 } }),
        executor: { type: 'arrivalRate', rate: 0.5, time_unit_s: 1, distribution: 'constant', duration_s: smoke ? 4 : 60, max_in_flight: 4, seed: s.seed },
      },
    ]
    for (const ctx of contexts)
      for (const c of concurrencies)
        plans.push({
          name: `ctx${ctx}-c${c}`,
          kind: 'measure',
          mode: 'B0',
          step: { context_tokens: ctx, concurrency: c },
          workload: (p) => fixedContext(ctxFor(p), { name: `h2a-ctx${ctx}`, contextTokens: ctx, nonce: 'per_request', params: { max_tokens: maxTokens } }),
          executor: {
            type: 'constantConcurrency',
            concurrency: c,
            duration_s: s.profile.phase_s,
            ...(perPhase ? { iterations: Math.max(perPhase, c * 3) } : {}),
          },
        })
    const overlimitPlan = (p: { target: { model: string; maxInputTokens: number | null } }) => ({
      name: 'h2a-overlimit',
      contextTokens: (p.target.maxInputTokens ?? s.model.max_input_tokens) + 256,
      nonce: 'per_request' as const,
      params: { max_tokens: maxTokens },
    })
    plans.push({
      name: 'overlimit',
      kind: 'probe',
      mode: 'B0',
      leg: 'over max input',
      run: async (api) => {
        const behaviour = overLimitBehaviour(api.target)
        if (behaviour === 'rejects') {
          overlimitPath = { path: 'server_rejection', behaviour }
          api.event('overlimit_path', overlimitPath)
          // No client preflight (maxInputTokens null): the server, not the harness, must refuse these.
          await api.runPhase({
            name: 'overlimit-send',
            kind: 'probe',
            mode: 'B0',
            leg: 'over max input',
            workload: (p) => fixedContext(s.workloadContext(p.target.model, { maxInputTokens: null }), overlimitPlan(p)),
            executor: { type: 'constantConcurrency', concurrency: 2, iterations: smoke ? 6 : 32 },
          })
          return
        }
        // A server that unregisters (or may): the preflight must refuse the prompt before it is sent.
        let refusal: string | null = null
        try {
          const w = fixedContext(s.workloadContext(api.target.model, { maxInputTokens: api.target.maxInputTokens ?? s.model.max_input_tokens }), { ...overlimitPlan(api), requests: 1 })
          if (w.kind === 'stream') w.source.next()
        } catch (err) {
          if (!(err instanceof PromptPreflightError)) throw err
          refusal = err.message
        }
        overlimitPath = { path: 'preflight_refusal', behaviour, refusal }
        api.event('overlimit_path', overlimitPath)
      },
    })
    return plans
  },
  conclude: (c) => {
    const idle = c.phases.get('idle')
    const idleRs = idle ? readsPerS(idle) : null
    const sweep = [...c.phases.values()].filter((o) => o.plan.kind === 'measure')
    const steps = sweep.map((o) => ({
      phase: o.plan.name,
      ...o.plan.step,
      r_s: readsPerS(o),
      process_read_bytes: o.record.deltas.process_io?.read_bytes ?? null,
      ttft_p50_ms: o.summary.ttft_ms.p50,
      ttft_p99_ms: o.summary.ttft_ms.p99,
      errors: o.summary.errors,
    }))
    c.note('h2a_sweep', { idle_r_s: idleRs, steps })
    for (const st of steps)
      c.gate(GATE_STACK_A_DISK_FLAT, {
        value: st.r_s !== null && idleRs !== null ? excessOverIdlePct(st.r_s, idleRs) : null,
        scope: st.phase,
        details: { r_s: st.r_s, idle_r_s: idleRs, process_read_bytes: st.process_read_bytes },
      })
    c.note('h2a_overlimit_path', overlimitPath)
    if (overlimitPath?.path === 'preflight_refusal') {
      // Nothing was sent: the evidence is the refusal itself; a server rejection latency has no data.
      c.gate(REJECTED_ALL, { value: overlimitPath.refusal ? 1 : 0, scope: 'overlimit', details: { ...overlimitPath } })
      c.gate({ ...REJECTED_FAST, allow_no_data: true }, { value: null, scope: 'overlimit', details: { ...overlimitPath } })
      return
    }
    const over = c.phases.get('overlimit-send')
    const reqs = over?.requests ?? []
    const rejected = reqs.filter((r) => !r.ok && r.error_class === 'http_4xx')
    c.note('h2a_overlimit', {
      requests: reqs.length,
      rejected: rejected.length,
      classes: Object.fromEntries([...new Set(reqs.map((r) => String(r.error_class)))].map((k) => [k, reqs.filter((r) => String(r.error_class) === k).length])),
      example: rejected[0]?.error_message ?? null,
    })
    c.gate(REJECTED_ALL, { value: reqs.length ? rejected.length / reqs.length : null, scope: 'overlimit', details: { ...overlimitPath } })
    c.gate(REJECTED_FAST, { values: rejected.map((r) => r.e2e_ms), scope: 'overlimit' })
  },
})
