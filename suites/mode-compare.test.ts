import { checkIntegrity } from '../helpers/analysis/integrity'
import { diskOffloadBlocks, diskOffloadFigure, diskTierActivityFigure, figureInput, kvbmDelta } from '../helpers/analysis/mechanism'
import type { Dataset } from '../helpers/config/dataset'
import type { KvModeId } from '../helpers/config/kv-mode'
import { GATE_B1_NO_DISK_TIER, GATE_DISK_OFFLOAD, GATE_INTEGRITY } from '../helpers/gates/catalog'
import type { Gate } from '../helpers/gates/gate'
import { type PhaseContext, type PhasePlan, defineHypothesis } from '../helpers/suite/define-hypothesis'
import { repetitionGroup } from '../helpers/suite/repetitions'
import type { SuiteSettings } from '../helpers/suite/suite-settings'
import { fixedContext } from '../helpers/workload/fixed-context'
import type { ClientRequest, Workload } from '../helpers/workload/workload-types'
import type { RequestRecord } from '../helpers/client/request-record'
import { workloadFamily } from '../helpers/workload/workload-family'

// mode_compare (runbook 004 §9b, canonical plan P3 baselines, style 1 "fixed feature set →
// latency"): the same seeded workload — family D, mixed local inference (unique short chats, RAG
// questions sharing a document, long summarizations) — in B0, B1, B2, B2', B3, each on a freshly
// wiped cache (the DSL restarts the worker per mode). Checks per mode: B1 stays disk-free, every
// disk mode writes blocks, B2' (filter off) writes more blocks than B2 (the filter keeps
// single-use blocks off the SSD), and every mode returns the B0 answers for the same identities.
// A second phase per mode revisits more distinct prompts than the device tier (or llama.cpp's
// slots) holds, round-robin at concurrency 1: B0 must recompute each revisit, a host tier restores
// it. On llama.cpp a mismatch under concurrent batching is rechecked with a cold-cache control
// (cache_prompt false) at concurrency 1: only a warm answer that differs from the cold one is
// corruption; a difference that only batching produced is recorded as such.

/** Distinct prompts revisited; above the device tier (tiny kvsim: 96 x 32 tokens) and llama.cpp's 4 slots. */
const REPEAT_PROMPTS = 8
const REPEAT_ROUNDS = 3
const REPEAT_TOKENS = 1024

const MODES: KvModeId[] = ['B0', 'B1', 'B2', 'B2p', 'B3']

const GATE_FILTER_CONTRAST: Gate = {
  id: 'b2p_first_touch_writes',
  metric: 'b2p_minus_b2_disk_offload_tokens',
  expr: 'value>0',
  severity: 'hard',
  reason_code: 'OFFLOAD_FILTER_NO_EFFECT',
  reason: "B2' (disk offload filter off) must write more KV to disk than B2 on the same workload: single-use blocks go to disk on first touch only without the filter. Equal writes mean the filter toggle did not reach the worker.",
  blocker_group: 'control_gap',
  evidence_role: 'mechanism',
}

/** Smoke: the S menus cut to what the tiny profile's 96-block device tier admits (prompt + output). */
const datasetFor = (s: SuiteSettings): Dataset => {
  const S = s.config.datasets.S
  if (s.profileName !== 'smoke') return S
  const menu = S.context_menu.filter((n) => n <= 2048)
  return { ...S, context_menu: menu, document_tokens: [menu[menu.length - 1]], max_input_tokens: menu[menu.length - 1] }
}

defineHypothesis({
  id: 'mode_compare',
  title: "mode_compare: the same mixed workload across B0, B1, B2, B2', B3 separates the tiers (B1 disk-free, B2' writes on first touch, B2 filters) with identical answers",
  tags: ['mode_compare', 'stack:A', 'stack:B', 'mode:B0', 'mode:B1', 'mode:B2', 'mode:B2p', 'mode:B3', 'workload:D', 'dataset:S'],
  // Modes differ in what moves through the tiers (mechanism) and never in the answers (integrity).
  evidence: ['mechanism', 'answer_integrity', 'repeatability'],
  charts: ['mode_compare', 'kvbm_deltas_by_phase', 'ttft_cdf', 'block_io_timeseries'],
  gates: [GATE_FILTER_CONTRAST, GATE_INTEGRITY],
  phases: (s) => {
    const smoke = s.profileName === 'smoke'
    const ds = datasetFor(s)
    const maxTokens = smoke ? 16 : ds.max_tokens
    const requests = smoke ? s.scaled(128) : (s.profile.max_requests_per_phase ?? 512)
    const concurrency = smoke ? 4 : 8
    const ctxOf = (c: PhaseContext) => s.workloadContext(c.target.model, { maxInputTokens: c.target.maxInputTokens, params: { max_tokens: maxTokens } })
    const plans: PhasePlan[] = []
    for (const mode of MODES) {
      plans.push(
        {
          name: `${mode}-warmup`,
          kind: 'warmup',
          mode,
          leg: mode,
          workload: (c) => fixedContext(ctxOf(c), { name: `mode_warmup_${mode}`, contextTokens: 256, requests: 2, nonce: 'per_request' }),
          executor: { type: 'constantConcurrency', concurrency: 1, iterations: 2 },
        },
        {
          name: `${mode}-mixed`,
          kind: 'measure',
          mode,
          leg: mode,
          // Same name, seed, dataset and nonce scope in every mode: byte-identical requests (same
          // identity hashes), each mode on a freshly started server so none is served from another's cache.
          nonceScope: 'mixed',
          workload: (c) => workloadFamily('D', 'S', { ctx: ctxOf(c), dataset: ds, requests }),
          executor: { type: 'constantConcurrency', concurrency, iterations: requests, ...(smoke ? {} : { duration_s: s.profile.phase_s }) },
          gates:
            mode === 'B1'
              ? [{ gate: GATE_B1_NO_DISK_TIER, input: (o) => figureInput(diskTierActivityFigure(o.record.deltas)) }]
              : mode === 'B0'
                ? []
                : [{ gate: GATE_DISK_OFFLOAD, input: (o) => figureInput(diskOffloadFigure(o.record.deltas)) }],
        },
        {
          name: `${mode}-repeat`,
          kind: 'measure',
          mode,
          leg: mode,
          nonceScope: 'repeat',
          // No nonce: request i revisits prompt i % REPEAT_PROMPTS (the workload intends the reuse).
          workload: (c) =>
            fixedContext(ctxOf(c), { name: 'mode_repeat', contextTokens: REPEAT_TOKENS, promptPool: REPEAT_PROMPTS, requests: REPEAT_PROMPTS * REPEAT_ROUNDS }),
          executor: { type: 'constantConcurrency', concurrency: 1, iterations: REPEAT_PROMPTS * REPEAT_ROUNDS },
        },
      )
      if (mode === 'B1' && s.targetKind === 'llamacpp')
        plans.push({
          name: 'B1-integrity-control',
          kind: 'probe',
          mode,
          leg: mode,
          run: async (api) => {
            // The latest outcome of each phase: with DSL repetitions names carry `-r<k>`, and this repetition's ran last.
            const latest = (name: string) => [...api.phases.values()].filter((o) => repetitionGroup(o.plan.name) === name).at(-1)?.requests ?? []
            const suspects = mismatchedIdentities(latest('B0-mixed'), latest('B1-mixed'))
            api.note('integrity_suspects', { count: suspects.size })
            if (suspects.size === 0) return
            await api.runPhase({
              name: 'B1-integrity-recheck',
              kind: 'probe',
              mode,
              leg: mode,
              nonceScope: 'mixed',
              // The same requests as B1-mixed, only the suspects, each sent cold (cache_prompt false) then warm.
              workload: (c) => coldWarmPairs(workloadFamily('D', 'S', { ctx: ctxOf(c), dataset: ds, requests }), suspects, requests),
              executor: { type: 'constantConcurrency', concurrency: 1, iterations: suspects.size * 2 },
            })
          },
        })
    }
    return plans
  },
  conclude: (c) => {
    const measured = MODES.map((m) => ({ mode: m, o: c.phases.get(`${m}-mixed`) }))
    c.note(
      'mode_table',
      measured.map(({ mode, o }) => ({
        mode,
        ttft_p50_ms: o?.summary.ttft_ms.p50 ?? null,
        ttft_p95_ms: o?.summary.ttft_ms.p95 ?? null,
        ttft_p99_ms: o?.summary.ttft_ms.p99 ?? null,
        disk_offload_blocks: diskOffloadBlocks(o?.record.deltas.kvbm),
        onboard_blocks_d2d: kvbmDelta(o?.record.deltas.kvbm, 'onboard_blocks_d2d'),
        onboard_blocks_h2d: kvbmDelta(o?.record.deltas.kvbm, 'onboard_blocks_h2d'),
        matched_tokens: kvbmDelta(o?.record.deltas.kvbm, 'matched_tokens'),
        block_write_bytes: o?.record.deltas.block_device?.write_bytes ?? null,
      })),
    )
    // Normalised disk-offload tokens; only a counter-based figure compares (OS bytes would mix units).
    const fig = (name: string) => {
      const f = diskOffloadFigure(c.phases.get(name)?.record.deltas)
      return f.evidence === 'counters' ? f.value : null
    }
    const b2 = fig('B2-mixed')
    const b2p = fig('B2p-mixed')
    c.gate(GATE_FILTER_CONTRAST, { value: b2 === null || b2p === null ? null : b2p - b2, scope: 'B2-mixed,B2p-mixed', details: { b2_disk_offload_tokens: b2, b2p_disk_offload_tokens: b2p } })
    const repeats = MODES.map((mode) => {
      const revisits = (c.phases.get(`${mode}-repeat`)?.requests ?? []).filter((r) => r.ok && r.seq >= REPEAT_PROMPTS)
      const ttft = revisits.map((r) => r.ttft_ms as number).sort((a, b) => a - b)
      const q = (p: number) => (ttft.length ? ttft[Math.min(ttft.length - 1, Math.floor(p * ttft.length))] : null)
      return { mode, revisits: revisits.length, cached_tokens: revisits.reduce((a, r) => a + (r.cached_tokens ?? 0), 0), prompt_tokens: revisits.reduce((a, r) => a + (r.input_tokens ?? 0), 0), ttft_p25_ms: q(0.25), ttft_p50_ms: q(0.5), ttft_p75_ms: q(0.75) }
    }).filter((r) => r.revisits > 0)
    c.note('repeat_prefix_table', repeats)
    const reference = c.phases.get('B0-mixed')?.requests ?? []
    const records = measured.filter((m) => m.mode !== 'B0').flatMap((m) => m.o?.requests ?? [])
    const integrity = checkIntegrity({ records, reference })
    const recheck = c.phases.get('B1-integrity-recheck')?.requests
    if (recheck) {
      // llama.cpp: a suspect is corruption only if its warm answer differs from its cold-cache answer.
      const cold = new Map(recheck.filter((r) => r.request_id.endsWith('-cold')).map((r) => [r.identity_hash, r.output_sha]))
      const warm = recheck.filter((r) => !r.request_id.endsWith('-cold'))
      const confirmed = warm.filter((r) => cold.has(r.identity_hash) && cold.get(r.identity_hash) !== r.output_sha)
      c.gate(GATE_INTEGRITY, {
        value: warm.length > 0 ? confirmed.length : null,
        scope: 'B1-integrity-recheck',
        details: { reference: 'cold-cache control (cache_prompt false), concurrency 1', suspects_under_load: integrity.mismatches, rechecked: warm.length, warm_differs_from_cold: confirmed.map((r) => r.request_id), batch_only_differences: integrity.mismatches - confirmed.length, load_comparison: integrity },
      })
    } else
      c.gate(GATE_INTEGRITY, { value: integrity.compared > 0 ? integrity.mismatches : null, scope: '*-mixed', details: { reference: 'B0-mixed', ...integrity } })
  },
})

/** Identities whose answer in `records` differs from the reference's (both ok). */
const mismatchedIdentities = (reference: readonly RequestRecord[], records: readonly RequestRecord[]): Set<string> => {
  const ref = new Map(reference.filter((r) => r.ok).map((r) => [r.identity_hash, r.output_sha]))
  return new Set(records.filter((r) => r.ok && ref.has(r.identity_hash) && ref.get(r.identity_hash) !== r.output_sha).map((r) => r.identity_hash))
}

/** The suspects of a stream workload, each as a cold (cache_prompt false) then a warm request. */
const coldWarmPairs = (w: Workload, suspects: ReadonlySet<string>, limit: number): Workload => {
  if (w.kind !== 'stream') throw new Error(`Expected the mixed workload to be a request stream, got ${w.kind}`)
  const queue: ClientRequest[] = []
  for (let i = 0; i < limit; i++) {
    const item = w.source.next()
    if (!item) break
    const r = item.request
    if (!suspects.has(r.meta.identity_hash)) continue
    queue.push({ ...r, body: { ...r.body, cache_prompt: false }, meta: { ...r.meta, request_id: `${r.meta.request_id}-cold` } }, r)
  }
  return { kind: 'stream', source: { name: 'integrity_recheck', next: () => { const r = queue.shift(); return r ? { request: r } : null } } }
}
