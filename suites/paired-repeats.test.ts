import { execFileSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { diskRehydrateFigure, diskTierActivityFigure, diskTierBlocks, figureInput, kvbmDelta, offloadReuseFigure, phaseTierDeltas, sumFigures } from '../helpers/analysis/mechanism'
import { type Pair, pairedStats } from '../helpers/analysis/paired'
import type { KvModeId } from '../helpers/config/kv-mode'
import { GATE_B1_NO_DISK_TIER, GATE_DISK_REHYDRATE, GATE_ORDER_EFFECT, GATE_PAIR_COUNT, GATE_USER_IMPACT } from '../helpers/gates/catalog'
import type { Gate } from '../helpers/gates/gate'
import { type PhaseApi, type PhaseContext, type PhaseOutcome, type PhasePlan, defineHypothesis } from '../helpers/suite/define-hypothesis'
import { fixedContext } from '../helpers/workload/fixed-context'
import { rehydrate } from '../helpers/workload/rehydrate'

// paired_repeats (prior harness §5 Phase70, with the statistics it lacked): B1 (A, control) and
// B2 (B, under test) legs in alternating AB / BA order, `profile.pairs` pairs. Every leg gets a
// freshly wiped cache (worker restart) and a washout (sync + pause) before load, then runs the
// rehydrate scenario (populate, thrash, replay); the replay is the measured figure. Per leg: the
// standard run-validity gates, B1 disk-free, B2 disk rehydrate. After the FIRST B2 leg the
// mechanism gate decides whether the rest is worth running: no disk rehydrate there stops every
// later leg with GATE_NO_SSD_MECHANISM_SIGNAL instead of burning hours on a non-experiment.
// Deltas are B − A (B2 − B1): pairedStats (t CI, bootstrap CI), sign test, Wilcoxon, order effect.
//
// B1 legs use the configured B1 mode (no disk tier at all) and are verified disk-free: the prior
// harness passed the disk size to both legs (hazard §8.3).

const A: KvModeId = 'B1'
const B: KvModeId = 'B2'
const SIZES = {
  smoke: { populate: 4, thrash: 8, turns: 2, prefixTokens: 1024, maxTokens: 16, concurrency: 1, g1Blocks: 96, washoutMs: 200 },
  // Phase70: c = 1, the rehydrate scenario at rehydrate_replay's full sizes (thrash 40, see there), a 30 s washout.
  full: { populate: 16, thrash: 40, turns: 2, prefixTokens: 4096, maxTokens: 128, concurrency: 1, g1Blocks: 2048, washoutMs: 30_000 },
}

const GATE_MECHANISM: Gate = {
  id: 'ssd_mechanism_first_b2_leg',
  metric: 'disk_onboard_tokens',
  expr: 'value>0',
  severity: 'hard',
  reason_code: 'GATE_NO_SSD_MECHANISM_SIGNAL',
  reason: 'The first B2 leg showed no disk rehydrate in its replay: the pairs would compare two no-SSD runs, so the remaining legs are not run (Phase70 early gate).',
  blocker_group: 'mechanism_invisibility',
  evidence_role: 'mechanism',
}

/** AB, BA, AB, … (Phase70 `alternating`): balanced when the pair count is even. */
const orderOf = (pair: number): 'AB' | 'BA' => (pair % 2 === 1 ? 'AB' : 'BA')

defineHypothesis({
  id: 'paired_repeats',
  title: 'paired_repeats: in AB/BA paired repeats with washout, B2 changes replay TTFT against B1 beyond run-to-run noise and order effects',
  tags: ['paired_repeats', 'stack:B', 'mode:B1', 'mode:B2', 'dataset:S'],
  // AB/BA pairs: disk rehydrate (mechanism), a paired TTFT p99 delta (user impact), no order effect (repeatability).
  evidence: ['mechanism', 'user_impact', 'repeatability'],
  charts: ['paired_deltas', 'kvbm_deltas_by_phase', 'ttft_cdf'],
  gates: [GATE_MECHANISM, GATE_PAIR_COUNT, GATE_ORDER_EFFECT, GATE_USER_IMPACT],
  phases: (s) => {
    const z = SIZES[s.profileName]
    // The plan's spill configuration: an undersized device tier (tier plan, in tokens), honoured by every driver.
    const tiers = { device_kv_tokens: z.g1Blocks * s.model.tokens_per_block }
    const ctxOf = (c: PhaseContext) => s.workloadContext(c.target.model, { maxInputTokens: c.target.maxInputTokens })
    let stopped: string | null = null
    const plans: PhasePlan[] = []
    for (let pair = 1; pair <= s.profile.pairs; pair++) {
      const order = orderOf(pair)
      const legs: KvModeId[] = order === 'AB' ? [A, B] : [B, A]
      for (const [k, mode] of legs.entries()) {
        const leg = `pair${pair}-${order}-${k + 1}-${mode}`
        plans.push({
          name: leg,
          kind: 'measure',
          mode,
          tiers,
          leg,
          repetition: pair,
          // A fresh cache for every leg, even when the previous leg ran the same mode (BA then AB).
          restart: true,
          before: async (api: PhaseApi) => {
            if (stopped) return
            // Washout (Phase70): flush dirty pages and let the device settle before load.
            try {
              execFileSync('sync')
            } catch {
              // sync is best-effort: a missing binary must not fail the leg.
            }
            await sleep(z.washoutMs)
            api.event('washout', { leg, washout_ms: z.washoutMs, sync: true, drop_caches: false })
          },
          run: async (api) => {
            if (stopped) throw new Error(`Expected leg ${leg} to run, got it stopped: ${stopped}`)
            const scenario = rehydrate(ctxOf(api), {
              name: `paired_${leg}`,
              populateSessions: z.populate,
              thrashSessions: z.thrash,
              turns: z.turns,
              prefixTokens: z.prefixTokens,
              replays: 1,
              params: { max_tokens: z.maxTokens },
            })
            const common = { mode, tiers, leg, repetition: pair }
            const warm = { type: 'constantConcurrency' as const, concurrency: 1, iterations: 2 }
            await api.runPhase({ ...common, name: `${leg}-warmup`, kind: 'warmup', workload: (c) => fixedContext(ctxOf(c), { name: `paired_warmup_${leg}`, contextTokens: 256, requests: 2, nonce: 'per_request', params: { max_tokens: z.maxTokens } }), executor: warm })
            const n = (sessions: number) => ({ type: 'constantConcurrency' as const, concurrency: z.concurrency, iterations: sessions * z.turns })
            await api.runPhase({ ...common, name: `${leg}-populate`, kind: 'warmup', workload: () => scenario.phases[0].workload, executor: n(z.populate) })
            await api.runPhase({ ...common, name: `${leg}-thrash`, kind: 'warmup', workload: () => scenario.phases[1].workload, executor: n(z.thrash) })
            const replay = await api.runPhase({
              ...common,
              name: `${leg}-replay`,
              kind: 'measure',
              // One configuration per mode: its pairs are its repetitions (CoV of TTFT p99).
              repeats: `${mode}-replay`,
              workload: () => scenario.phases[2].workload,
              executor: n(z.populate),
              gates:
                mode === A
                  ? [{ gate: GATE_B1_NO_DISK_TIER, input: (_o, c) => figureInput(sumFigures([...c.phases.values()].filter((p) => p.plan.leg === leg).map((p) => diskTierActivityFigure(p.record.deltas)))) }]
                  : [{ gate: GATE_DISK_REHYDRATE, input: (o) => figureInput(diskRehydrateFigure(o.record.deltas)) }],
            })
            const firstB = mode === B && ![...api.phases.values()].some((p) => p.plan.name !== replay.plan.name && p.plan.name.endsWith('-replay') && p.plan.mode === B)
            if (firstB) {
              const fig = diskRehydrateFigure(replay.record.deltas)
              const r = api.gate(GATE_MECHANISM, figureInput(fig, { onboard_host_to_device_tokens: phaseTierDeltas(replay.record.deltas).onboard_host_to_device_tokens, offload_cached_tokens: offloadReuseFigure(replay.record.deltas).value }))
              if (r.status !== 'pass') stopped = `the first B2 leg (${leg}) showed no disk rehydrate (disk onboard = ${fig.value}, ${fig.basis}): GATE_NO_SSD_MECHANISM_SIGNAL`
            }
          },
        })
      }
    }
    return plans
  },
  conclude: (c) => {
    const replays = [...c.phases.values()].filter((o) => o.plan.name.endsWith('-replay'))
    const pairsBy = (metric: 'p95' | 'p99'): Pair[] => {
      const out: Pair[] = []
      for (let pair = 1; pair <= c.settings.profile.pairs; pair++) {
        const a = replays.find((o) => o.plan.repetition === pair && o.plan.mode === A)
        const b = replays.find((o) => o.plan.repetition === pair && o.plan.mode === B)
        const av = a?.summary.ttft_ms[metric]
        const bv = b?.summary.ttft_ms[metric]
        if (typeof av === 'number' && typeof bv === 'number') out.push({ a: av, b: bv, order: orderOf(pair), label: `pair${pair}` })
      }
      return out
    }
    const p99 = pairsBy('p99')
    const p95 = pairsBy('p95')
    const st99 = p99.length > 0 ? pairedStats(p99, { seed: c.settings.seed }) : null
    const st95 = p95.length > 0 ? pairedStats(p95, { seed: c.settings.seed }) : null
    c.note('paired_ttft_p99_ms', st99 && { ...st99, pairs: p99 })
    c.note('paired_ttft_p95_ms', st95 && { ...st95, pairs: p95 })
    c.note(
      'paired_mechanism',
      replays.map((o) => ({ leg: o.plan.leg, mode: o.plan.mode, onboard_blocks_d2d: kvbmDelta(o.record.deltas.kvbm, 'onboard_blocks_d2d'), matched_tokens: kvbmDelta(o.record.deltas.kvbm, 'matched_tokens'), block_read_bytes: o.record.deltas.block_device?.read_bytes ?? null })),
    )
    c.gate(GATE_PAIR_COUNT, { value: p99.length, details: { warnings: st99?.warnings ?? [] } })
    // The order check needs >= 2 AB and >= 2 BA pairs; below that the soft pair-count gate above
    // records the gap (prior harness: ORDER_EFFECT_INSUFFICIENT_PAIRS, order check skipped).
    if (st99?.order_effect.evaluated) c.gate(GATE_ORDER_EFFECT, { value: Math.abs(st99.order_effect.effect ?? 0), details: { ...st99.order_effect } })
    c.gate(GATE_USER_IMPACT, {
      value: st99?.t_ci.hi ?? null,
      details: { mean_delta_ms: st99?.mean_delta ?? null, t_ci: st99?.t_ci ?? null, bootstrap_ci: st99?.bootstrap_ci ?? null, sign_test: st99?.sign_test ?? null, wilcoxon: st99?.wilcoxon ?? null },
    })
  },
})

const legTotal = (c: PhaseContext, leg: string, f: (o: PhaseOutcome) => number | null): number | null => {
  let t = 0
  for (const o of c.phases.values()) {
    if (o.plan.leg !== leg) continue
    const v = f(o)
    if (v === null) return null
    t += v
  }
  return t
}
