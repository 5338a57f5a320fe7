import type { Gate } from '../helpers/gates/gate'
import { pearson } from '../helpers/analysis/correlation'
import { resampleToWindows, seriesWindows } from '../helpers/analysis/series-windows'
import { readJsonlSync } from '../helpers/bundle/read-jsonl'
import { type PhaseOutcome, type PhasePlan, defineHypothesis } from '../helpers/suite/define-hypothesis'
import { fixedContext } from '../helpers/workload/fixed-context'
import { GATE_P99_DELTA_CI } from '../helpers/gates/catalog'
import { userImpactInput } from '../helpers/suite/user-impact-input'

// H8A (v3.0 plan §8.11, stack A): when latency is queue-bound, CPU iowait stays flat: host
// storage signals say nothing because storage is not involved. Method: an idle probe (the host's
// own iowait), then a B0 closed-loop concurrency sweep with per-request nonces (pure queueing).
// Per step: TTFT p99 and the mean iowait share from the CPU collector (/proc/stat); per window,
// the correlation of TTFT p99 with iowait is reported. Gates: TTFT grows with concurrency (the
// sweep really is queue-bound) while iowait stays within 2 points of idle.

const QUEUE_BOUND: Gate = {
  id: 'h8a_queue_bound',
  metric: 'ttft_p50_top_over_bottom',
  expr: 'value>=1.5',
  severity: 'hard',
  reason_code: 'H8A_NOT_QUEUE_BOUND',
  reason: 'TTFT p50 at the highest concurrency must be at least 1.5 x the lowest (p50, not p99: a handful of requests per smoke step makes p99 one sample): otherwise the sweep never queued.',
  blocker_group: 'control_gap',
}

const IOWAIT_FLAT: Gate = {
  id: 'h8a_iowait_flat',
  metric: 'iowait_excess_over_idle_pp',
  expr: 'value<=2',
  severity: 'hard',
  reason_code: 'H8A_IOWAIT_MOVED',
  reason: 'On stack A, CPU iowait must stay within 2 percentage points of idle at every step: a rising iowait without a disk KV tier means another IO source.',
  blocker_group: 'control_gap',
  applies_to: { modes: ['B0', 'B1'] },
  evidence_role: 'os_corroboration',
}

interface CpuRow {
  t_ms: number
  iowait_pct: number | null
}

const meanIn = (rows: CpuRow[], o: PhaseOutcome): number | null => {
  const v = rows.filter((r) => r.t_ms >= o.record.t_start_ms && r.t_ms <= o.record.t_end_ms && r.iowait_pct !== null).map((r) => r.iowait_pct as number)
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null
}

defineHypothesis({
  id: 'h8a',
  title: 'h8a: when TTFT is queue-bound (stack A), CPU iowait stays flat while p99 grows',
  tags: ['h8a', 'stack:A', 'mode:B0', 'dataset:S'],
  // iowait stays flat (OS) while latency is queue-bound (user impact).
  evidence: ['os_corroboration', 'user_impact', 'repeatability'],
  charts: ['iowait_vs_p99', 'latency_by_step', 'ttft_windows'],
  gates: [QUEUE_BOUND, IOWAIT_FLAT, GATE_P99_DELTA_CI],
  phases: (s) => {
    const smoke = s.profileName === 'smoke'
    const contextTokens = 2048
    const maxTokens = smoke ? 16 : 128
    const workload = (p: { target: { model: string; maxInputTokens: number | null } }) =>
      fixedContext(s.workloadContext(p.target.model, { maxInputTokens: p.target.maxInputTokens }), {
        name: 'h8a-queue',
        contextTokens,
        nonce: 'per_request',
        params: { max_tokens: maxTokens },
      })
    const plans: PhasePlan[] = [
      {
        name: 'idle',
        kind: 'probe',
        mode: 'B0',
        leg: 'idle baseline',
        workload: (p) =>
          fixedContext(s.workloadContext(p.target.model, { maxInputTokens: p.target.maxInputTokens }), { name: 'h8a-idle', contextTokens: 64, nonce: 'per_request', params: { max_tokens: 4 } }),
        executor: { type: 'arrivalRate', rate: 0.5, time_unit_s: 1, distribution: 'constant', duration_s: smoke ? 4 : 60, max_in_flight: 4, seed: s.seed },
      },
    ]
    // Warm the engine (and the client's connections) so the first step is not a cold-start step.
    plans.push({ name: 'warmup', kind: 'warmup', mode: 'B0', workload, executor: { type: 'constantConcurrency', concurrency: 2, iterations: 8 } })
    for (const c of s.profile.concurrency_steps)
      plans.push({
        name: `c${c}`,
        kind: 'measure',
        mode: 'B0',
        step: { concurrency: c },
        workload,
        executor: {
          type: 'constantConcurrency',
          concurrency: c,
          duration_s: s.profile.phase_s,
          ...(s.profile.max_requests_per_phase ? { iterations: Math.max(16, c * 4) } : {}),
        },
      })
    return plans
  },
  conclude: (c) => {
    const cpu = readJsonlSync<CpuRow>(c.layout.telemetrySeries('cpu')).rows
    const idle = c.phases.get('idle')
    const idleIowait = idle ? meanIn(cpu, idle) : null
    const steps = [...c.phases.values()]
      .filter((o) => o.plan.kind === 'measure')
      .map((o) => ({ phase: o.plan.name, concurrency: Number(o.plan.step?.concurrency), ttft_p50_ms: o.summary.ttft_ms.p50, ttft_p99_ms: o.summary.ttft_ms.p99, iowait_pct: meanIn(cpu, o), o }))
    const windowMs = c.settings.profileName === 'smoke' ? 500 : 1000
    const p99: (number | null)[] = []
    const iow: (number | null)[] = []
    for (const st of steps) {
      const w = seriesWindows(st.o.requests, { window_ms: windowMs, start_ms: st.o.record.t_start_ms, end_ms: st.o.record.t_end_ms })
      p99.push(...w.map((x) => x.ttft_p99_ms))
      iow.push(...resampleToWindows(w, cpu.map((r) => ({ t_ms: r.t_ms, value: r.iowait_pct }))))
    }
    const table = steps.map(({ o: _o, ...rest }) => rest)
    c.note('h8a_steps', { idle_iowait_pct: idleIowait, steps: table, window_ms: windowMs, ttft_p99_vs_iowait_r: pearson(p99, iow) })
    const first = steps[0]
    const last = steps[steps.length - 1]
    c.gate(QUEUE_BOUND, {
      value: first?.ttft_p50_ms && last && last.ttft_p50_ms !== null ? last.ttft_p50_ms / first.ttft_p50_ms : null,
      scope: 'c*',
      details: { steps: table },
    })
    // Users see the queue: TTFT p99 at the top concurrency above the bottom's, beyond noise.
    c.gate(GATE_P99_DELTA_CI, userImpactInput(first ? [first.o] : [], last ? [last.o] : [], c.settings.seed))
    const excess = steps.map((st) => (st.iowait_pct !== null && idleIowait !== null ? st.iowait_pct - idleIowait : null))
    const known = excess.filter((x): x is number => x !== null)
    c.gate(IOWAIT_FLAT, { value: known.length ? Math.max(...known) : null, scope: 'c*', details: { idle_iowait_pct: idleIowait, steps: table } })
  },
})
