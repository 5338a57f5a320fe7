import { checkIntegrity } from '../helpers/analysis/integrity'
import { diskOffloadBlocks, diskOffloadFigure, diskRehydrateFigure, diskTierActivityFigure, figureInput, kvbmDelta, offloadReuseFigure, phaseTierDeltas, sumFigures } from '../helpers/analysis/mechanism'
import { GATE_B1_NO_DISK_TIER, GATE_DISK_OFFLOAD, GATE_DISK_REHYDRATE, GATE_INTEGRITY } from '../helpers/gates/catalog'
import type { KvModeId } from '../helpers/config/kv-mode'
import { type PhaseContext, type PhaseOutcome, type PhasePlan, defineHypothesis } from '../helpers/suite/define-hypothesis'
import { eviction } from '../helpers/workload/eviction'
import { fixedContext } from '../helpers/workload/fixed-context'
import { streamOf, streamWorkload } from '../helpers/workload/request-stream'
import type { Workload } from '../helpers/workload/workload-types'

// eviction_replay (runbook 004 §9, prior harness eviction_replay): warm a set A, push it out of
// the device and host tiers with a disjoint set B, replay exactly A. Under B2 the replay must
// onboard A from disk (Δonboard_blocks_d2d > 0; host onboarding never counts); under B1, the
// control, no block may touch a disk tier; and the replayed answers (temperature 0, plus a planted
// needle) must equal the warm pass — a fast replay with a wrong answer is the GB10 corruption case.
//
// B2 keeps KVBM's disk offload filter on: a block reaches disk only once it was used twice. So
// warm_A sends A twice (warm_A, warm_A_2): the second use is what qualifies A for the SSD. With one
// pass A would leave G2 under pressure and never reach disk (that is B2p's job, see mode_compare).

const MODES: KvModeId[] = ['B1', 'B2']
const SIZES = {
  // tiny: G1 96 blocks, G2 192. A = 4 x 32 blocks fits G2 but not G1; B = 8 x 32 evicts A from both.
  smoke: { contextTokens: [1024], aPrompts: 3, bPrompts: 8, aConcurrency: 2, bConcurrency: 4, maxTokens: 16, g1Blocks: 96 },
  // Runbook 004 §9: A 24 requests (23 + the needle prompt), B 48, 6,000–7,600-token prompts, max_tokens
  // 256, concurrency 4 / 8. The tier plan caps the device tier at 2,048 blocks (65,536 tokens): at a
  // Spark's 22.6k blocks A + B (~490k tokens) would both fit on the GPU and B would evict nothing.
  full: { contextTokens: [6144, 7600], aPrompts: 23, bPrompts: 48, aConcurrency: 4, bConcurrency: 8, maxTokens: 256, g1Blocks: 2048 },
}

/** Gives every request of a phase its own id (A is sent three times; ids must stay unique). */
const relabel = (w: Workload, suffix: string): Workload => {
  if (w.kind !== 'stream') throw new Error(`Expected a stream workload to relabel, got ${w.kind}`)
  const src = w.source
  return streamWorkload({
    name: `${src.name}-${suffix}`,
    next: () => {
      const item = src.next()
      return item && { ...item, request: { ...item.request, meta: { ...item.request.meta, request_id: `${item.request.meta.request_id}-${suffix}` } } }
    },
  })
}

/** A's long prompts, then the needle probe (part of A: evicted and replayed with it). */
const concat = (name: string, parts: Workload[]): Workload => {
  const sources = parts.map((p) => {
    if (p.kind !== 'stream') throw new Error(`Expected stream workloads in ${name}, got ${p.kind}`)
    return p.source
  })
  let k = 0
  return streamWorkload(
    streamOf(name, Number.POSITIVE_INFINITY, () => {
      while (k < sources.length) {
        const item = sources[k].next()
        if (item) return item
        k++
      }
      return null
    }),
  )
}

const sum = (os: PhaseOutcome[], f: (o: PhaseOutcome) => number | null): number | null => {
  let total = 0
  for (const o of os) {
    const v = f(o)
    if (v === null) return null
    total += v
  }
  return total
}

defineHypothesis({
  id: 'eviction_replay',
  title: 'eviction_replay: after pressure evicts A, replaying A onboards it from disk under B2, never under B1, with identical answers',
  tags: ['eviction_replay', 'stack:B', 'mode:B1', 'mode:B2', 'dataset:S'],
  // Evicted blocks come back from disk (mechanism) with the same answers (integrity), in every repetition.
  evidence: ['mechanism', 'answer_integrity', 'repeatability'],
  charts: ['kvbm_deltas_by_phase', 'kvbm_timeseries', 'block_io_timeseries', 'ttft_cdf'],
  gates: [GATE_INTEGRITY],
  phases: (s) => {
    const z = SIZES[s.profileName]
    // The plan's spill configuration: an undersized device tier (tier plan, in tokens), honoured by every driver.
    const tiers = { device_kv_tokens: z.g1Blocks * s.model.tokens_per_block }
    const ctxOf = (c: PhaseContext) => s.workloadContext(c.target.model, { maxInputTokens: c.target.maxInputTokens })
    const scenario = (c: PhaseContext) =>
      eviction(ctxOf(c), { name: 'evict', aRequests: z.aPrompts, bRequests: z.bPrompts, contextTokens: z.contextTokens, params: { max_tokens: z.maxTokens } })
    const needle = (c: PhaseContext) =>
      fixedContext(ctxOf(c), { name: 'evict_needle', contextTokens: z.contextTokens[0], requests: 1, needle: { depth: 0.5 }, params: { max_tokens: z.maxTokens } })
    const setA = (c: PhaseContext, label: string) => relabel(concat(`evict_A`, [scenario(c).phases[0].workload, needle(c)]), label)
    const plans: PhasePlan[] = []
    for (const mode of MODES) {
      const aExec = { type: 'constantConcurrency' as const, concurrency: z.aConcurrency, iterations: z.aPrompts + 1 }
      plans.push(
        {
          // Builds the tokenizer corpus and wakes the worker; nonce prompts share nothing with A or B.
          name: `${mode}-warmup`,
          kind: 'warmup',
          mode,
          tiers,
          leg: mode,
          workload: (c) => fixedContext(ctxOf(c), { name: `evict_warmup_${mode}`, contextTokens: 256, requests: 2, nonce: 'per_request', params: { max_tokens: z.maxTokens } }),
          executor: { type: 'constantConcurrency', concurrency: 1, iterations: 2 },
        },
        { name: `${mode}-warm_A`, kind: 'warmup', mode, tiers, leg: mode, workload: (c) => setA(c, `${mode}-warm_A`), executor: aExec },
        { name: `${mode}-warm_A_2`, kind: 'warmup', mode, tiers, leg: mode, workload: (c) => setA(c, `${mode}-warm_A_2`), executor: aExec },
        {
          name: `${mode}-pressure_B`,
          kind: 'warmup',
          mode,
          tiers,
          leg: mode,
          workload: (c) => relabel(scenario(c).phases[1].workload, mode),
          executor: { type: 'constantConcurrency', concurrency: z.bConcurrency, iterations: z.bPrompts },
        },
        {
          name: `${mode}-replay_A`,
          kind: 'measure',
          mode,
          tiers,
          leg: mode,
          workload: (c) => setA(c, `${mode}-replay_A`),
          executor: aExec,
          gates:
            mode === 'B1'
              ? [
                  {
                    // Every B1 phase, not only the replay: the control leg must never touch a disk tier.
                    gate: GATE_B1_NO_DISK_TIER,
                    input: (_o, c) => {
                      const legs = [...c.phases.values()].filter((p) => p.plan.leg === 'B1')
                      return figureInput(sumFigures(legs.map((p) => diskTierActivityFigure(p.record.deltas))), {
                        phases: legs.map((p) => ({ phase: p.plan.name, disk_tier: diskTierActivityFigure(p.record.deltas).value })),
                      })
                    },
                  },
                ]
              : [
                  {
                    gate: GATE_DISK_OFFLOAD,
                    input: (_o, c) => {
                      const legs = [...c.phases.values()].filter((p) => p.plan.leg === 'B2')
                      return figureInput(sumFigures(legs.map((p) => diskOffloadFigure(p.record.deltas))), { phases: legs.map((p) => p.plan.name) })
                    },
                  },
                  {
                    gate: GATE_DISK_REHYDRATE,
                    input: (o) =>
                      figureInput(diskRehydrateFigure(o.record.deltas), {
                        onboard_host_to_device_tokens: phaseTierDeltas(o.record.deltas).onboard_host_to_device_tokens,
                        offload_cached_tokens: offloadReuseFigure(o.record.deltas).value,
                        block_read_bytes: o.record.deltas.block_device?.read_bytes ?? null,
                        process_read_bytes: o.record.deltas.process_io?.read_bytes ?? null,
                      }),
                  },
                ],
        },
      )
    }
    return plans
  },
  conclude: (c) => {
    const at = (name: string) => c.phases.get(name)
    for (const mode of MODES) {
      const warm = at(`${mode}-warm_A`)
      const replay = at(`${mode}-replay_A`)
      c.note(`replay_signal_${mode}`, {
        warm_ttft_p95_ms: warm?.summary.ttft_ms.p95 ?? null,
        replay_ttft_p95_ms: replay?.summary.ttft_ms.p95 ?? null,
        replay_onboard_blocks_d2d: kvbmDelta(replay?.record.deltas.kvbm, 'onboard_blocks_d2d'),
        replay_onboard_blocks_h2d: kvbmDelta(replay?.record.deltas.kvbm, 'onboard_blocks_h2d'),
        replay_matched_tokens: kvbmDelta(replay?.record.deltas.kvbm, 'matched_tokens'),
        replay_block_read_bytes: replay?.record.deltas.block_device?.read_bytes ?? null,
        warm_block_read_bytes: warm?.record.deltas.block_device?.read_bytes ?? null,
      })
    }
    // Replayed A under both modes against every warm pass of A: temperature 0, one identity, one text.
    const reference = MODES.flatMap((m) => [...(at(`${m}-warm_A`)?.requests ?? []), ...(at(`${m}-warm_A_2`)?.requests ?? [])])
    const records = MODES.flatMap((m) => at(`${m}-replay_A`)?.requests ?? [])
    // The needle's expected answer lives in the request meta, not the record: rebuild the probe.
    const needles = new Map<string, string>()
    if (c.target) {
      const z = SIZES[c.settings.profileName]
      const probe = fixedContext(c.settings.workloadContext(c.target.model, { maxInputTokens: c.target.maxInputTokens }), {
        name: 'evict_needle', contextTokens: z.contextTokens[0], requests: 1, needle: { depth: 0.5 }, params: { max_tokens: z.maxTokens },
      })
      const item = probe.kind === 'stream' ? probe.source.next() : null
      if (item?.request.meta.needle_answer) needles.set(item.request.meta.identity_hash, item.request.meta.needle_answer)
    }
    const integrity = checkIntegrity({ records, reference, needles })
    c.gate(GATE_INTEGRITY, {
      value: integrity.compared > 0 && integrity.needles_checked > 0 ? integrity.mismatches + integrity.needle_failures : null,
      scope: '*-replay_A',
      details: { ...integrity },
    })
  },
})
