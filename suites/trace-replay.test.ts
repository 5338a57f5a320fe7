import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'csv-stringify/sync'
import { type KvModeId, kvModeHasDiskTier, kvModeHasHostTier } from '../helpers/config/kv-mode'
import { traceSchedule } from '../helpers/config/trace-config'
import type { Gate } from '../helpers/gates/gate'
import { type LoadPhasePlan, type PhaseContext, type PhaseOutcome, defineHypothesis } from '../helpers/suite/define-hypothesis'
import { type PredictedVsMeasured, comparePredicted } from '../helpers/trace/predicted-vs-measured'
import { tierCapacitiesFor, withEffectiveTiers } from '../helpers/trace/tier-capacities'
import { effectiveTiersFor } from '../helpers/tiers/effective-tiers'
import { prepareTraceRows } from '../helpers/trace/trace-rows'
import { type TierCapacities, type TierPrediction, analyzeTrace } from '../helpers/trace/trace-whatif'
import { formatWhatIf } from '../helpers/trace/whatif-text'
import { writeWhatIfFiles } from '../helpers/trace/whatif-files'
import { BUNDLED_MOONCAKE_TRACE, readMooncakeTrace, TraceFileError } from '../helpers/workload/mooncake-trace'
import { type TraceReplayStream, traceReplay } from '../helpers/workload/trace-replay'
import { takeAll } from '../helpers/workload/request-stream'
import type { RequestStream, WorkItem, Workload } from '../helpers/workload/workload-types'
import type { TargetInfo } from '../helpers/target/target'

// trace_replay: replay any Mooncake-format trace (TIERBENCH_TRACE, YAML `trace:`; default the
// bundled conversation trace) in B0, B1, B2, after a what-if analysis of the trace alone: the
// ideal and LRU hit ratio by cache size with the run's tier capacities marked, the reuse-distance
// distribution, and per mode the prompt tokens each tier should serve and the disk read rate. Each
// mode then replays the same rows on a fresh worker; the conclusion sets predicted next to
// measured (cached tokens by source, TTFT p50/p99, disk read bytes/s), and per-phase gates flag a
// large shortfall against the promise. The trace is read and checked while the suite is collected:
// a missing file, a malformed row, an empty or all-oversize trace stop before any server starts.

const SHORTFALL = 0.5
/** Replayed prompt tokens up to which every prompt is built before its phase (about 4 bytes a token, held twice). */
const PREBUILD_TOKENS = 4_000_000

/**
 * Builds the predicted-vs-measured rows from a conclusion's phases (one repetition's, under their
 * unsuffixed names). Set by phases(); the trace and its prediction are the same in every repetition.
 */
let table: (phases: ReadonlyMap<string, PhaseOutcome>, target: TargetInfo | null) => PredictedVsMeasured[] = () => []

const GATE_CACHE_SHORTFALL: Gate = {
  id: 'trace_cached_tokens_vs_predicted',
  metric: 'trace_cached_tokens_measured_over_predicted',
  expr: `value>=${SHORTFALL}`,
  severity: 'hard',
  reason_code: 'TRACE_CACHE_SHORTFALL',
  reason: `The server must report at least ${SHORTFALL * 100} % of the cached prompt tokens the trace's what-if analysis predicts at this mode's tier capacities (LRU, prefix semantics). Far fewer means the prefix structure was lost on the way (prompts, tokenizer, cache salt) or the tiers hold much less than configured. No data when the prediction is under 4 engine blocks.`,
  blocker_group: 'mechanism_invisibility',
  evidence_role: 'mechanism',
  allow_no_data: true,
}

const GATE_DISK_SHORTFALL: Gate = {
  id: 'trace_disk_tokens_vs_predicted',
  metric: 'trace_disk_tokens_measured_over_predicted',
  expr: `value>=${SHORTFALL}`,
  severity: 'hard',
  reason_code: 'TRACE_DISK_TIER_SHORTFALL',
  reason: `The disk tier must onboard at least ${SHORTFALL * 100} % of the tokens the trace promised it (what-if at the disk capacity, with KVBM's second-use offload filter in B2). Far fewer means the disk tier is smaller than configured, not written (filter, offload off) or not read back. No data without a disk prediction or KVBM counters.`,
  blocker_group: 'mechanism_invisibility',
  evidence_role: 'mechanism',
  allow_no_data: true,
}

defineHypothesis({
  id: 'trace_replay',
  title: "trace_replay: a Mooncake-format trace replayed in B0, B1, B2 delivers the prefix hits its what-if analysis predicts at each mode's tier capacities",
  tags: ['trace_replay', 'stack:B', 'mode:B0', 'mode:B1', 'mode:B2'],
  // The claim is the mechanism (the tiers deliver the promised hits); TTFT is reported, not judged.
  evidence: ['mechanism', 'repeatability'],
  charts: ['mode_compare', 'kvbm_deltas_by_phase', 'ttft_cdf', 'block_io_timeseries'],
  gates: [GATE_CACHE_SHORTFALL, GATE_DISK_SHORTFALL],
  phases: (s) => {
    const t = s.config.trace
    const smoke = s.profileName === 'smoke'
    const path = t.path ?? BUNDLED_MOONCAKE_TRACE
    const firstN = t.first_n ?? (smoke ? 48 : undefined)
    // Smoke: 1/8 lengths keep a hash block at 64 tokens (two engine blocks), so sharing survives.
    const lengthScale = t.length_scale ?? (smoke ? 1 / 8 : 1)
    const outputScale = t.output_scale ?? (smoke ? 1 / 32 : 1)
    const schedule = traceSchedule(t)
    const timeScale = t.time_scale ?? (smoke ? 0.25 : 1)
    // An external server runs in the mode the user declared (B0 when none is); replay B0 vs B1 as two runs.
    const target = s.config.target
    const modes: KvModeId[] = target.kind === 'external' ? [target.declared_mode ?? 'B0'] : t.modes

    const raw = readMooncakeTrace(path, firstN)
    if (raw.length === 0) throw new TraceFileError(`Expected at least one row in ${path}, got an empty trace`)
    const emulatorProfile = target.kind === 'emulator' ? target.profile : null
    // llama-server (started with --kv-unified) holds ctx_size tokens of KV across its slots.
    const deviceTokens = t.device_kv_tokens ?? (target.kind === 'llamacpp' ? target.ctx_size : null)
    const pinDevice = t.device_kv_tokens !== undefined && t.device_kv_tokens !== null
    // The capacities the target is expected to have (TierPlan work: kvsim's own sizing, Dynamo's
    // estimate, an external server's declared tiers); unknown ones fall back to the config's sizing.
    // Each phase replaces them with the capacities the started target reports (before hook).
    const configured = (m: KvModeId) => tierCapacitiesFor({ mode: s.modes[m], model: s.model, emulatorProfile, deviceTokens })
    const capacity = Object.fromEntries(modes.map((m) => [m, withEffectiveTiers(configured(m), s.expectedTiers(m), m, pinDevice)]))
    // The context limit: the engine's max input (preflight margin 256, as every workload), and on
    // kvsim its device pool, which must hold a whole prompt plus one block.
    const maxInput =
      target.kind === 'external'
        ? (target.max_input_tokens ?? s.model.max_input_tokens)
        : target.kind === 'llamacpp'
          ? Math.min(target.ctx_size, s.model.max_input_tokens)
          : s.model.max_input_tokens
    const devices = modes.map((m) => capacity[m].capacities.device_tokens).filter((d): d is number => d !== null)
    const deviceLimit = devices.length ? Math.min(...devices) - s.model.tokens_per_block : Number.POSITIVE_INFINITY
    const ceiling = (out: number) => Math.min(maxInput - out - 256, deviceLimit)
    const prepared = prepareTraceRows(raw, { lengthScale, outputScale, ceiling, oversize: t.oversize })
    if (prepared.rows.length === 0)
      throw new TraceFileError(
        `Expected at least one row of ${path} within the target's context limit (${ceiling(1)} tokens; rows at length_scale ${lengthScale}), got all ${prepared.total} over it (largest ${prepared.largestInput}): lower trace.length_scale or set trace.oversize: clip`,
      )
    const analysis = analyzeTrace(prepared.rows, { lengthScale, timeScale: schedule === 'timestamps' ? timeScale : 1, kvBytesPerToken: s.model.kv_bytes_per_token })
    const plannedDurationS = schedule === 'timestamps' ? analysis.whatIf.duration_s : schedule === 'rate' ? prepared.rows.length / t.rate! : null
    const predictions: Record<string, TierPrediction> = Object.fromEntries(modes.map((m) => [m, analysis.predict(capacity[m].capacities)]))
    const capacities: Record<string, TierCapacities> = Object.fromEntries(modes.map((m) => [m, capacity[m].capacities]))
    // The chart marks the last mode the target can run (llama.cpp: B1; its B2 is not applicable).
    const markMode = [...modes].reverse().find((m) => s.tierBackend.support(m).supported) ?? modes[modes.length - 1]
    const sources = new Map<string, TraceReplayStream>()
    table = (phases, target) => modes.map((m) => compare(m, phases.get(`${m}-replay`), target))

    // Prompts are built before the phase starts when the replayed tokens fit PREBUILD_TOKENS:
    // building a multi-thousand-token prompt takes tens of ms on a busy box, and rows that share a
    // timestamp would otherwise be sent late by that much (CLIENT_BOTTLENECK). Larger traces build
    // each prompt right after the previous send, as every open-loop workload does.
    const prebuild = analysis.whatIf.prompt_tokens <= PREBUILD_TOKENS
    const built = new Map<string, WorkItem[]>()
    const replay = (mode: KvModeId, c: PhaseContext) => {
      const ctx = s.workloadContext(c.target.model, { maxInputTokens: c.target.maxInputTokens })
      // Rows the running server refuses (its own limit below the configured one) are skipped and counted.
      // Scoped: one phase-scoped nonce opens every prompt, and each request declares the cached tokens
      // its shared hash_ids allow, so the contamination gate catches reuse from outside this replay.
      const w = traceReplay(ctx, { name: 'trace_replay', rows: prepared.rows, lengthScale, outputScale, oversize: 'skip', scoped: true })
      sources.set(mode, w.source)
      return w.source
    }
    // The workload is created inside the phase's nonce scope (the before hook is not): prompts are
    // built here, before the phase's clock starts.
    const workload = (mode: KvModeId) => (c: PhaseContext): Workload => {
      if (prebuild) built.set(mode, takeAll(replay(mode, c)))
      const items = built.get(mode)
      let k = 0
      const lazy = items ? null : replay(mode, c)
      const source: RequestStream = {
        name: 'trace_replay',
        next: () => {
          const item = items ? (items[k] ?? null) : lazy!.next()
          if (item === null) return null
          const i = k++
          return schedule === 'rate' ? { ...item, at_ms: (i * 1000) / t.rate! } : item
        },
      }
      return { kind: 'stream', source }
    }
    const rowsOf = (mode: string) => ({ sent: prepared.rows.length - (sources.get(mode)?.skipped() ?? 0), skipped: prepared.skipped, clipped: prepared.clipped, skippedAtRunTime: sources.get(mode)?.skipped() ?? 0 })
    const compare = (mode: KvModeId, o: PhaseOutcome | undefined, target: TargetInfo | null): PredictedVsMeasured => {
      const ioScale = Number(target?.provenance.io_scale ?? 1)
      return comparePredicted(o, {
        mode,
        emulated: target?.emulated ?? s.targetKind === 'emulator',
        prediction: predictions[mode],
        tokensPerBlock: s.model.tokens_per_block,
        plannedDurationS,
        rows: rowsOf(mode),
        bytesDivisor: target?.emulated && Number.isFinite(ioScale) ? ioScale : 1,
        tiers: { host: kvModeHasHostTier(mode), disk: kvModeHasDiskTier(mode) },
        kvBytesPerToken: s.model.kv_bytes_per_token,
      })
    }

    return modes.map(
      (mode): LoadPhasePlan => ({
        name: `${mode}-replay`,
        kind: 'measure',
        mode,
        leg: mode,
        step: { rows: prepared.rows.length, length_scale: lengthScale, schedule },
        // Every mode starts from a fresh worker (the DSL restarts on a mode change): the what-if
        // assumes an empty cache at the first row.
        before: (api) => {
          // The started target's effective capacities (driver report, else prediction) replace the
          // collection-time ones for this mode: the prediction, the gates and the chart's marks use them.
          capacity[mode] = withEffectiveTiers(configured(mode), effectiveTiersFor(api.target, s.expectedTiers(mode)), mode, pinDevice)
          capacities[mode] = capacity[mode].capacities
          predictions[mode] = analysis.predict(capacities[mode])
          const capacitySource = modes.map((m) => `${m}: ${capacity[m].source}`).join('; ')
          // Rewritten each phase, so the last one holds every mode's effective capacities.
          const files = writeWhatIfFiles(join(api.layout.root, 'whatif'), {
            trace: { path, first_n: firstN ?? null, length_scale: lengthScale, time_scale: timeScale },
            whatIf: analysis.whatIf,
            capacities,
            predictions,
            capacity_source: capacitySource,
          }, { markMode: markMode })
          const { curve, reuse, ...summary } = analysis.whatIf
          // Per phase: each note holds the capacities known so far (this mode's as the target reported them).
          api.note('trace_whatif', { ...summary, rows_skipped_oversize: prepared.skipped, rows_clipped_oversize: prepared.clipped, oversize_examples: prepared.oversizeExamples, capacities, predictions, capacity_source: capacitySource, files: Object.values(files).filter(Boolean) })
          api.event('trace_whatif_text', { lines: formatWhatIf(analysis.whatIf, capacities, predictions, capacitySource) })
        },
        workload: workload(mode),
        executor:
          schedule === 'closed_loop'
            ? { type: 'constantConcurrency', concurrency: t.max_concurrency!, iterations: prepared.rows.length }
            : { type: 'fixedSchedule', speed: schedule === 'timestamps' ? 1 / timeScale : 1, max_in_flight: t.max_concurrency ?? 64 },
        gates: [
          {
            gate: GATE_CACHE_SHORTFALL,
            input: (o, c) => {
              const r = compare(mode, o, c.target)
              return { value: r.cached_measured_over_predicted, details: { ...r } }
            },
          },
          // Only modes with a disk tier are judged on it.
          ...(capacities[mode].disk_tokens
            ? [
                {
                  gate: GATE_DISK_SHORTFALL,
                  input: (o: PhaseOutcome, c: PhaseContext) => {
                    const r = compare(mode, o, c.target)
                    return { value: r.disk_measured_over_predicted, details: { predicted_disk_tokens: r.predicted_disk_tokens, measured_disk_tokens: r.measured_disk_tokens, basis: r.measured_by_source_basis } }
                  },
                },
              ]
            : []),
        ],
      }),
    )
  },
  conclude: (c) => {
    // Modes whose phase did not run keep their prediction with null measurements.
    const rows = table(c.phases, c.target)
    c.note('trace_predicted_vs_measured', rows)
    if (rows.length) {
      const cols = Object.keys(rows[0]) as (keyof PredictedVsMeasured)[]
      // Booleans spelled out: csv-stringify writes false as an empty cell, and `emulated` must read false, not blank.
      // One table per repetition (full profile repeats the sequence): the first keeps the plain name.
      const file = c.repetition ? `predicted_vs_measured_rep${c.repetition + 1}.csv` : 'predicted_vs_measured.csv'
      writeFileSync(join(c.layout.root, file), stringify([cols, ...rows.map((r) => cols.map((k) => (typeof r[k] === 'boolean' ? String(r[k]) : (r[k] ?? ''))))]))
    }
  },
})
