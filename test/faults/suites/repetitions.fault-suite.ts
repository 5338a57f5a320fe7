import { repetitionStats } from '../../../helpers/analysis/repetition'
import { GATE_COV_P99, GATE_REPRODUCIBLE_P99 } from '../../../helpers/gates/catalog'
import { type LoadPhasePlan, type PhaseApi, type PhaseContext, defineHypothesis } from '../../../helpers/suite/define-hypothesis'
import { buildPrompt } from '../../../helpers/workload/prompt-builder'
import { fillerText } from '../../../helpers/workload/prompt-filler'
import { buildRequest } from '../../../helpers/workload/request-builder'
import { streamOf, streamWorkload } from '../../../helpers/workload/request-stream'
import type { Workload } from '../../../helpers/workload/workload-types'
import { request } from 'undici'

// Fault suite (planted-fault matrix, case 4): three repetitions of the same phase must agree on
// TTFT p99 (cov_p99 < 10 %, reproducible_p99 within 5 %). Planted: slow_disk during repetition 2
// only (FAULT_SUITE_REP_FAULTS, posted to /admin/faults before that repetition and cleared after),
// so that repetition's disk reads are late → UNSTABLE_REPETITIONS and NOT_REPRODUCIBLE.
//
// Every request reads its 512-token prefix back from disk (B3: G1 + G3, G1 holds one request) and
// prefills a fresh 1536-token suffix. The matrix runs this suite with a time scale that makes the
// modelled prefill (~1.9 s at time scale 60) dominate TTFT, so clean repetitions agree within a few
// percent even when a busy machine adds a 100–150 ms outlier, and 1.5 s of slow disk stands out.

const PREFIXES = 3
const PREFIX_TOKENS = 512
const PROMPT_TOKENS = 2048
const REPETITIONS = 3
const PER_REP = 3
const faultyRep = Number(process.env.FAULT_SUITE_REP ?? 2)
const repFaults = process.env.FAULT_SUITE_REP_FAULTS || null

const workloadFor = (ctx: PhaseContext, phase: string, count: number, offset: number, tokens = PROMPT_TOKENS): Workload => {
  const w = ctx.settings.workloadContext(ctx.target.model, { maxInputTokens: ctx.target.maxInputTokens })
  return streamWorkload(
    streamOf(`fault_reps_${phase}`, count, (i) => {
      const k = i % PREFIXES
      // The prefix is the system message, so it is the token-exact start of every prompt of prefix k;
      // the user message differs per request and is always recomputed.
      const prompt = buildPrompt({
        tokenizer: w.tokenizer,
        template: w.template,
        tokens,
        key: `${w.seed}:fault_reps:suffix:${offset + i}`,
        system: fillerText(w.tokenizer, PREFIX_TOKENS, `${w.seed}:fault_reps:prefix:${k}`),
      })
      return {
        request: buildRequest(w, {
          workload: 'fault_reps',
          requestId: `fault_reps-${phase}-${String(i).padStart(4, '0')}`,
          prompt,
          session_id: `p${k}`,
          params: { max_tokens: 1 },
        }),
      }
    }),
  )
}

const setFaults = async (api: PhaseApi, spec: string): Promise<void> => {
  const res = await request(`${api.target.baseUrl}/admin/faults`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: spec })
  const text = await res.body.text()
  if (res.statusCode !== 200) throw new Error(`Expected POST /admin/faults "${spec}" to answer 200, got ${res.statusCode}: ${text.slice(0, 300)}`)
  api.event('fault_planted', { faults: spec })
}

const rep = (n: number): LoadPhasePlan => ({
  name: `rep${n}`,
  kind: 'measure',
  mode: 'B3',
  repetition: n,
  before: async (api) => {
    if (repFaults) await setFaults(api, n === faultyRep ? repFaults : '')
  },
  workload: (ctx) => workloadFor(ctx, `rep${n}`, PER_REP, n * PER_REP),
  executor: { type: 'constantConcurrency', concurrency: 1, iterations: PER_REP },
})

defineHypothesis({
  id: 'fault_repetitions',
  title: 'fault_repetitions: repeated disk-prefix phases agree on TTFT p99',
  tags: ['faults', 'stack:B', 'mode:B3', 'dataset:S'],
  collectors: ['kvbm', 'frontend'],
  gates: [GATE_COV_P99, GATE_REPRODUCIBLE_P99],
  phases: () => [
    {
      name: 'populate',
      kind: 'warmup',
      mode: 'B3',
      // Short suffixes: populate only has to put the prefixes on disk.
      workload: (ctx) => workloadFor(ctx, 'populate', PREFIXES, 0, PREFIX_TOKENS + 128),
      executor: { type: 'constantConcurrency', concurrency: 1, iterations: PREFIXES },
    },
    ...Array.from({ length: REPETITIONS }, (_, i) => rep(i + 1)),
  ],
  conclude: (c) => {
    const reps = [...c.phases.values()].filter((o) => o.plan.kind === 'measure')
    const p99s = reps.map((o) => o.summary.ttft_ms.p99).filter((v): v is number => v !== null)
    const stats = repetitionStats(p99s)
    const details = { ttft_p99_ms: p99s, repetitions: reps.map((o) => o.plan.name), mean_ms: stats.mean, sd_ms: stats.sd }
    c.note('ttft_p99_repetitions', { ...stats, values: p99s })
    c.gate(GATE_COV_P99, { value: p99s.length === REPETITIONS ? stats.cov_pct : null, scope: 'rep*', details })
    c.gate(GATE_REPRODUCIBLE_P99, { value: p99s.length === REPETITIONS ? stats.max_rel_dev_pct : null, scope: 'rep*', details })
  },
})
