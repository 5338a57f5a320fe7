import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { KvMode } from '../config/kv-mode'
import type { SuiteLayout } from '../bundle/layout'
import type { JsonlWriter } from '../bundle/jsonl-writer'
import { appendJsonl } from '../bundle/jsonl-writer'
import type { PhaseRecord } from '../bundle/phase-record'
import type { RequestRecord } from '../client/request-record'
import { type RunClock, createRunClock } from '../client/run-clock'
import { clientShards } from '../client/client-shards'
import { createShardedStreamClient } from '../client/sharded-stream-client'
import { type StreamClient, createStreamClient } from '../client/stream-client'
import { runPhase } from '../load/run-phase'
import { withNonceScope } from '../workload/nonce-scope'
import { ExecutorSpec, plannedDurationS } from '../load/executor-spec'
import { listModels } from '../target/readiness'
import { summarizePhase } from '../analysis/phase-summary'
import { createTelemetry } from '../telemetry/telemetry'
import type { CollectorName } from '../telemetry/collector'
import { startContention } from '../storage/fio'
import { getTokenizer } from '../tokenizer/tokenizer'
import type { ApplyModeOptions, Target, TargetInfo } from '../target/target'
import type { RunContext } from './run-context'
import type { SuiteSettings } from './suite-settings'
import { createTargetFromSettings } from './create-target'
import { processAlive, watchTarget } from './watch-target'
import type { LoadPhasePlan, PhaseContext, PhaseOutcome } from './define-hypothesis'

// Everything a suite owns while it runs: the target, the collectors, the client. One place that
// starts them, restarts them on a mode change, and reaps them (also when a test failed).

export interface SuiteRuntime {
  clock: RunClock
  emulated: boolean
  targetInfo(): TargetInfo | null
  applyMode(mode: KvMode, opts: Omit<ApplyModeOptions, 'wipeCache'>): Promise<TargetInfo>
  /** `attempt` 2 marks a re-run (its records and phase record carry it); `tiers` goes into the phase record. */
  runPhase(plan: LoadPhasePlan, ctx: PhaseContext, requests: JsonlWriter, signal: AbortSignal, attempt?: number, tiers?: PhaseRecord['tiers']): Promise<PhaseOutcome>
  close(): Promise<void>
}

type Telemetry = Awaited<ReturnType<typeof createTelemetry>>

export const createSuiteRuntime = async (opts: {
  run: RunContext
  settings: SuiteSettings
  suiteId: string
  layout: SuiteLayout
  collectors: CollectorName[]
  /** Whether the suite uses LoRA adapters. @default false */
  lora?: boolean
}): Promise<SuiteRuntime> => {
  const clock = createRunClock(BigInt(opts.run.originNs))
  const scratch = join(opts.run.scratchDir, opts.suiteId)
  mkdirSync(scratch, { recursive: true })
  mkdirSync(opts.layout.logsDir, { recursive: true })
  const target: Target = createTargetFromSettings(opts.settings, { scratchDir: scratch, logsDir: opts.layout.logsDir }, { lora: opts.lora === true })
  let info: TargetInfo | null = null
  let telemetry: Telemetry | null = null
  let client: ReturnType<typeof createStreamClient> | null = null
  let clientConnections = 0

  const stopTelemetry = async () => {
    const t = telemetry
    telemetry = null
    if (t) await t.stop()
  }

  const startTelemetry = async (t: TargetInfo) => {
    telemetry = await createTelemetry({
      collectors: opts.collectors,
      target: t,
      suiteDir: opts.layout.root,
      clock,
      cadenceMs: opts.settings.telemetryCadenceMs,
      pool: () => client?.stats() ?? { queued: 0, pending: 0, running: 0, connected: 0 },
      tierBackend: opts.settings.tierBackend,
    })
    await telemetry.start()
  }

  const ensureClient = async (maxInFlight: number) => {
    if (client && clientConnections >= maxInFlight) return client
    if (client) await client.close()
    clientConnections = Math.max(maxInFlight, 1)
    const base = {
      baseUrl: info!.baseUrl,
      model: info!.model,
      maxInFlight: clientConnections,
      clock,
      headersTimeoutMs: opts.settings.client.headersTimeoutMs,
      bodyTimeoutMs: opts.settings.client.bodyTimeoutMs,
      keepAlive: keepAliveOf(opts.settings),
    }
    // Worker-thread shards when the host has spare cores (helpers/client/client-shards.ts).
    const shards = clientShards()
    const created: StreamClient =
      shards > 1
        ? await createShardedStreamClient({ ...base, shards, tokenizerId: opts.settings.model.tokenizer })
        : createStreamClient({ ...base, tokenizer: getTokenizer(opts.settings.model.tokenizer) })
    client = created
    return created
  }

  return {
    clock,
    // kvsim can stand in behind any driver (the dynamo driver's host launcher in tests): the running
    // stack says whether it is emulated, the configured kind only until it is up.
    get emulated() {
      return info?.emulated ?? opts.settings.targetKind === 'emulator'
    },
    targetInfo: () => info,
    async applyMode(mode, o) {
      await stopTelemetry()
      if (client) {
        await client.close()
        client = null
      }
      info = await target.applyMode(mode, { ...o, wipeCache: true })
      appendJsonl(opts.layout.events, { type: 'target_ready', wall_ms: Date.now(), t_ms: clock.nowMs(), target: info })
      await startTelemetry(info)
      return info
    },
    async runPhase(plan, ctx, requests, signal, attempt = 1, tiers) {
      if (!info) throw new Error('Expected the target to be started before a phase, got none')
      const maxInFlight = maxInFlightOf(plan.executor as unknown as Record<string, unknown>)
      const c = await ensureClient(maxInFlight)
      const records: RequestRecord[] = []
      const ac = new AbortController()
      const onAbort = () => ac.abort(signal.reason)
      signal.addEventListener('abort', onAbort)
      let stopReason: string | null = null
      const watcher = watchTarget(info, (reason) => {
        stopReason = reason
        ac.abort(new Error(reason))
      })
      await telemetry?.phaseStart(plan.name)
      const contention = plan.contention
        ? await startContention({
            profile: plan.contention,
            scratchDir: join(opts.run.scratchDir, 'fio'),
            kvCacheDir: info.cacheDir ?? opts.run.scratchDir,
            outDir: opts.layout.contentionDir,
            clock,
            // fio ends by itself shortly after the phase would, even if this process cannot stop it.
            runtimeS: (plannedDurationS(ExecutorSpec.parse(plan.executor)) ?? 3000) + 600,
          })
        : null
      const wallStart = Date.now()
      let result: Awaited<ReturnType<typeof runPhase>>
      try {
        // Nonces unique per run, suite, phase, step, repetition and attempt (a re-run of a cache-independent
        // phase must not be served the first attempt's prefixes); a plan may share its scope on purpose.
        const phaseMode = info.mode
        const scope = plan.nonceScope
          ? [opts.run.runId, opts.suiteId, plan.nonceScope, plan.repetition ?? ''].join('|')
          : [opts.run.runId, opts.suiteId, plan.name, JSON.stringify(plan.step ?? null), plan.repetition ?? '', ...(attempt > 1 ? [`attempt${attempt}`] : [])].join('|')
        const recordExtra: Record<string, unknown> = { emulated: info.emulated, ...(attempt > 1 ? { attempt } : {}) }
        result = await withNonceScope(scope, () => runPhase({
          // Parsed here so zod defaults (time_unit_s, distribution…) apply to specs written in suites.
          executor: ExecutorSpec.parse(plan.executor),
          workload: plan.workload(ctx),
          client: c,
          clock,
          signal: ac.signal,
          context: {
            run_id: opts.run.runId,
            suite_id: opts.suiteId,
            phase: plan.name,
            phase_kind: plan.kind,
            mode: phaseMode,
            step: plan.step,
            repetition: plan.repetition,
          },
          onRecord: (r: RequestRecord) => {
            // Every raw record says whether it came from kvsim, even when read outside its bundle;
            // added at serialisation, not by copying the record on the completion path.
            requests.append(r, recordExtra)
            records.push(r)
          },
          progress: true,
        }))
        // A worker that unregisters in the last seconds of a phase escapes the poll interval: look once more.
        if (!stopReason) {
          const models = await listModels(info.baseUrl).catch(() => [] as string[])
          if (models.length === 0) stopReason = info.kind === 'emulator' && !info.pids.some(processAlive) ? 'TARGET_LOST' : 'MODEL_DROPPED'
        }
      } finally {
        watcher.stop()
        signal.removeEventListener('abort', onAbort)
      }
      const fio = contention ? await contention.stop() : null
      // A phase shorter than two cadences (a search probe) cannot be aligned with the series at all:
      // say so instead of reporting 0 % (the gate then has no data, which it allows).
      const cadenceMs = opts.settings.telemetryCadenceMs
      const alignable = result.t_end_ms - result.t_start_ms >= 2 * cadenceMs
      // Only a measured phase is gated on alignment: wait there for the samples that cover its last
      // requests (the next tick, and a reading a busy target is still answering; at most 5 cadences).
      if (telemetry && alignable && plan.kind === 'measure' && records.length) {
        let lastEnd = Number.NEGATIVE_INFINITY
        for (const r of records) if (r.t_end_ms > lastEnd) lastEnd = r.t_end_ms
        await telemetry.awaitSamplesAfter(lastEnd, 5 * cadenceMs)
      }
      const alignment = !telemetry
        ? null
        : !alignable
          ? { aligned_pct: null, per_collector: {}, reason: `phase shorter than two telemetry cadences (${2 * cadenceMs} ms)` }
          : telemetry.alignment(records.map((r) => ({ t_ms: r.t_end_ms })))
      const tele = telemetry ? await telemetry.phaseEnd(plan.name) : null
      const summary = summarizePhase(records, { wall_ms: result.t_end_ms - result.t_start_ms })
      if (!stopReason && signal.aborted)
        stopReason = (signal.reason as Error | undefined)?.message === 'SUITE_BUDGET_EXCEEDED' ? 'SUITE_BUDGET_EXCEEDED' : 'RUN_INTERRUPTED'
      const record: PhaseRecord = {
        suite_id: opts.suiteId,
        phase: plan.name,
        kind: plan.kind,
        mode: info.mode,
        leg: plan.leg,
        repetition: plan.repetition,
        step: plan.step,
        executor: plan.executor as unknown as Record<string, unknown>,
        workload: records[0]?.workload ?? 'unknown',
        contention: plan.contention ?? null,
        t_start_ms: result.t_start_ms,
        t_end_ms: result.t_end_ms,
        wall_start_ms: result.wall_start_ms ?? wallStart,
        wall_end_ms: result.wall_end_ms ?? Date.now(),
        requests: records.length,
        errors: records.filter((r) => !r.ok).length,
        dropped: result.dropped,
        late_sends: result.late_sends,
        summary: summary as unknown as Record<string, unknown>,
        deltas: (tele?.deltas ?? {}) as PhaseRecord['deltas'],
        missing_metrics: tele?.missing_metrics ?? {},
        attribution: (tele?.attribution ?? null) as PhaseRecord['attribution'],
        alignment,
        interrupted: stopReason !== null,
        stop_reason: stopReason,
        ...(attempt > 1 ? { attempt } : {}),
        ...(tiers ? { tiers } : {}),
        notes: [...(tele?.notes ?? []), ...(fio ? [`fio ${plan.contention}: ${JSON.stringify({ read: fio.read, write: fio.write, json: fio.json_file, errors: fio.errors })}`] : [])],
      }
      appendJsonl(opts.layout.phases, record)
      return { plan, record, summary, requests: records }
    },
    async close() {
      try {
        await stopTelemetry()
      } finally {
        if (client) await client.close()
        await target.stop()
        if (existsSync(scratch)) {
          // Cache dirs and adapters live under the suite's scratch; the target removed its own.
        }
      }
    },
  }
}

/** Per-target keep-alive (external, llamacpp); the emulator and Dynamo keep connections. */
const keepAliveOf = (s: SuiteSettings): boolean => {
  const t = s.config.target as { keep_alive?: boolean }
  return t.keep_alive ?? true
}

const maxInFlightOf = (e: Record<string, unknown>): number => {
  const n = [e.concurrency, e.max_in_flight, e.users, e.max_concurrency].find((v) => typeof v === 'number') as number | undefined
  if (Array.isArray(e.stages)) return Math.max(n ?? 1, ...(e.stages as { target: number }[]).map((s) => s.target))
  return n ?? 64
}
