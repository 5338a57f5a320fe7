import { diskRehydrateFigure, diskTierActivityFigure, figureInput, kvbmDelta, offloadReuseFigure, sumFigures } from '../helpers/analysis/mechanism'
import { GATE_B1_NO_DISK_TIER, GATE_DISK_REHYDRATE, GATE_KV_REUSE } from '../helpers/gates/catalog'
import type { Gate } from '../helpers/gates/gate'
import type { KvModeId } from '../helpers/config/kv-mode'
import { type PhaseContext, type PhaseOutcome, type PhasePlan, defineHypothesis } from '../helpers/suite/define-hypothesis'
import { fixedContext } from '../helpers/workload/fixed-context'
import { rehydrate } from '../helpers/workload/rehydrate'

// rehydrate_replay (prior harness §1/§5, the scenario its Phase60/70 sweeps use): populate P
// sessions x T turns, each session with its own long prefix; thrash with unique sessions until
// the populate KV has left G1 and G2; replay the populate prompts unchanged (replay, replay_2).
// Phase60's B2 point rule, over replay + replay_2: matched > 0 AND onboard_d2d > 0 AND (block or
// process reads > 0). Its B1 rule: no disk-tier block moves at all (here over every B1 phase, so a
// B1 leg that inherited a disk tier fails, the prior harness's Phase70 hazard).
// T = 2 turns per session is what lets B2's frequency filter send the populate prefixes to disk.

const MODES: KvModeId[] = ['B1', 'B2']
const SIZES = {
  // tiny: G1 96, G2 192, G3 768 blocks. Populate 4 x 32-block prefixes (128 blocks) fit G2;
  // thrash 8 x 32 evicts them from G1 and G2 while everything stays within G3.
  smoke: { populate: 4, thrash: 8, turns: 2, prefixTokens: 1024, maxTokens: 16, concurrency: 2, g1Blocks: 96 },
  // Phase60 defaults (populate 16, turns 2, prefix 4096, gen 128, concurrency 2) with the emulated
  // device tier shrunk to 2048 blocks. Thrash 40 instead of Phase60's 192: with T = 2 the thrash
  // prefixes qualify for disk too, and 192 x 4096 tokens would push the populate set out of the
  // 32 GB disk tier as well (nothing left to rehydrate); 40 overflows G1 + G2 (4096 blocks) and
  // keeps populate + thrash (7168 blocks) within G3 (8192).
  full: { populate: 16, thrash: 40, turns: 2, prefixTokens: 4096, maxTokens: 128, concurrency: 2, g1Blocks: 2048 },
}

const GATE_REPLAY_READS: Gate = {
  id: 'replay_disk_reads',
  metric: 'replay_read_bytes',
  expr: 'value>0',
  severity: 'hard',
  reason_code: 'REHYDRATE_SIGNAL_ABSENT_WRITE_ONLY',
  reason: 'KVBM counted disk onboards in the replays but neither the block device nor the serving processes read a byte: the rehydrate is not corroborated by the OS.',
  blocker_group: 'attribution_failure',
  applies_to: { modes: ['B2', 'B2p', 'B3'] },
  evidence_role: 'os_corroboration',
}

const total = (os: PhaseOutcome[], f: (o: PhaseOutcome) => number | null | undefined): number | null => {
  let t = 0
  for (const o of os) {
    const v = f(o)
    if (v === null || v === undefined) return null
    t += v
  }
  return t
}

defineHypothesis({
  id: 'rehydrate_replay',
  title: 'rehydrate_replay: populate, thrash and replay brings session prefixes back from disk under B2 and never touches disk under B1',
  tags: ['rehydrate_replay', 'stack:B', 'mode:B1', 'mode:B2', 'dataset:S'],
  // Replays rehydrate from disk (mechanism) and the OS sees the reads (OS corroboration).
  evidence: ['mechanism', 'os_corroboration', 'repeatability'],
  charts: ['kvbm_deltas_by_phase', 'kvbm_timeseries', 'block_io_timeseries', 'ttft_cdf'],
  phases: (s) => {
    const z = SIZES[s.profileName]
    // The plan's spill configuration: an undersized device tier (tier plan, in tokens), honoured by every driver.
    const tiers = { device_kv_tokens: z.g1Blocks * s.model.tokens_per_block }
    const ctxOf = (c: PhaseContext) => s.workloadContext(c.target.model, { maxInputTokens: c.target.maxInputTokens })
    const scenario = (c: PhaseContext, mode: KvModeId) =>
      rehydrate(ctxOf(c), {
        name: `rehydrate_${mode}`,
        populateSessions: z.populate,
        thrashSessions: z.thrash,
        turns: z.turns,
        prefixTokens: z.prefixTokens,
        replays: 2,
        params: { max_tokens: z.maxTokens },
      })
    const plans: PhasePlan[] = []
    for (const mode of MODES) {
      plans.push({
        name: `${mode}-warmup`,
        kind: 'warmup',
        mode,
        tiers,
        leg: mode,
        workload: (c) => fixedContext(ctxOf(c), { name: `rehydrate_warmup_${mode}`, contextTokens: 256, requests: 2, nonce: 'per_request', params: { max_tokens: z.maxTokens } }),
        executor: { type: 'constantConcurrency', concurrency: 1, iterations: 2 },
      })
      // The workload name carries the mode so request ids stay unique; the prompts (session
      // prefixes keyed by name) differ per mode too, which is fine: each mode starts from a wiped cache.
      const phaseNames = ['populate', 'thrash', 'replay', 'replay_2'] as const
      for (const [i, phase] of phaseNames.entries()) {
        const count = (phase === 'thrash' ? z.thrash : z.populate) * z.turns
        const last = phase === 'replay_2'
        plans.push({
          name: `${mode}-${phase}`,
          kind: phase.startsWith('replay') ? 'measure' : 'warmup',
          mode,
          tiers,
          leg: mode,
          workload: (c) => scenario(c, mode).phases[i].workload,
          executor: { type: 'constantConcurrency', concurrency: z.concurrency, iterations: count },
          gates: !last
            ? []
            : mode === 'B1'
              ? [
                  {
                    gate: GATE_B1_NO_DISK_TIER,
                    input: (_o, c) => {
                      const legs = [...c.phases.values()].filter((p) => p.plan.leg === 'B1')
                      return figureInput(sumFigures(legs.map((p) => diskTierActivityFigure(p.record.deltas))), { phases: legs.map((p) => p.plan.name) })
                    },
                  },
                ]
              : [
                  { gate: GATE_KV_REUSE, input: (_o, c) => figureInput(sumFigures(replays(c, mode).map((p) => offloadReuseFigure(p.record.deltas)))) },
                  { gate: GATE_DISK_REHYDRATE, input: (_o, c) => figureInput(sumFigures(replays(c, mode).map((p) => diskRehydrateFigure(p.record.deltas)))) },
                  {
                    gate: GATE_REPLAY_READS,
                    input: (_o, c) => {
                      const r = replays(c, mode)
                      const block = total(r, (p) => p.record.deltas.block_device?.read_bytes)
                      const proc = total(r, (p) => p.record.deltas.process_io?.read_bytes)
                      return { value: block === null && proc === null ? null : Math.max(block ?? 0, proc ?? 0), details: { block_read_bytes: block, process_read_bytes: proc } }
                    },
                  },
                ],
        })
      }
    }
    return plans
  },
  conclude: (c) => {
    for (const mode of MODES) {
      const r = [...c.phases.values()].filter((p) => p.plan.leg === mode)
      c.note(
        `rehydrate_signal_${mode}`,
        r.map((p) => ({
          phase: p.plan.name,
          ttft_p95_ms: p.summary.ttft_ms.p95,
          matched_tokens: kvbmDelta(p.record.deltas.kvbm, 'matched_tokens'),
          onboard_blocks_d2d: kvbmDelta(p.record.deltas.kvbm, 'onboard_blocks_d2d'),
          onboard_blocks_h2d: kvbmDelta(p.record.deltas.kvbm, 'onboard_blocks_h2d'),
          offload_blocks_h2d: kvbmDelta(p.record.deltas.kvbm, 'offload_blocks_h2d'),
          block_read_bytes: p.record.deltas.block_device?.read_bytes ?? null,
        })),
      )
    }
  },
})

const replays = (c: PhaseContext, mode: KvModeId): PhaseOutcome[] =>
  [`${mode}-replay`, `${mode}-replay_2`].flatMap((n) => {
    const o = c.phases.get(n)
    return o ? [o] : []
  })
