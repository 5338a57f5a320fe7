import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { execa } from 'execa'
import { KVBM_ENV_NAMES, kvModeHasDiskTier, kvModeUsesKvbm, type KvMode, type KvModeId } from '../config/kv-mode'
import {
  containerInspectStep,
  containerUpSteps,
  discoverySteps,
  listNvidiaFsDevices,
  frontendStartStep,
  logCaptureSteps,
  provenanceSteps,
  readPidStep,
  stopProcessStep,
  stopSteps,
  workerFdsStep,
  wipeCacheStep,
  workerAliveStep,
  workerStartStep,
  writeEngineYamlStep,
  type DynamoStep,
  type StepContext,
} from './dynamo-commands'
import { dynamoMaxInputTokens, type DynamoConfig } from './dynamo-config'
import { hostPidForContainerPid } from './dynamo-host-pids'
import { engineYaml } from './dynamo-engine-yaml'
import { DynamoTargetError } from './dynamo-error'
import {
  modelSnapshotId,
  parseImageInspect,
  parseLspciNvmeLink,
  parseNvidiaSmiQ,
  parseNvmeIdCtrl,
  parsePipShow,
} from './dynamo-provenance'
import { type ReadinessOptions, waitReady as waitStackReady } from './readiness'
import { localOpenFiles, verifyMode } from './dynamo-verify-mode'
import { watchWorker, type WatchWorkerOptions, type WorkerWatch } from './dynamo-watch'
import { buildChildEnv, launchHostProcess, type HostProcess } from './host-process'
import type { ApplyModeOptions, ReadinessReport, Target, TargetInfo } from './target'

// The Dynamo + TRT-LLM + KVBM driver: runs the Spark runbook's steps (dynamo-commands.ts) through
// execa, either against a container (`launcher: docker`) or directly on the host (`launcher: host`,
// which is also how kvsim stands in for the worker in tests). A mode change is a worker restart with
// the mode's env and engine YAML, then readiness, then a verification of the mode against the stack.

export interface DynamoTargetOptions {
  /** Where the driver writes logs and its command journal (`dynamo-commands.jsonl`). */
  logsDir: string
  /** Scratch dir (engine YAML for launcher host). */
  scratch: string
  /** Home for `$HOME` in mounts. @default os.homedir() */
  home?: string
  /** Readiness implementation (tests inject doubles). @default helpers/target/readiness.ts waitReady */
  waitReady?: (opts: ReadinessOptions) => Promise<ReadinessReport>
  /** Wait before the post-start liveness check. @default 2000 */
  aliveCheckMs?: number
  /** Readiness poll interval. @default 1000 */
  pollMs?: number
  /** How often a containerized worker's liveness is checked while waiting for readiness. @default 10000 */
  livenessPollMs?: number
  /** Extra env for the short commands (docker, nvme, pip…). */
  commandEnv?: Record<string, string>
  /** Run the provenance commands at start. @default true */
  collectProvenance?: boolean
  /** Send the B1 probe request pair during verification. @default true */
  b1ProbePair?: boolean
}

export interface ExecutedStep {
  id: string
  argv: string[]
  exitCode: number | null
  ms: number
  stdout: string
  stderr: string
}

export interface DynamoTarget extends Target {
  /** Polls /v1/models during a phase; resolves `dropped` with MODEL_DROPPED when the worker unregisters. */
  watchWorker(opts?: Omit<WatchWorkerOptions, 'baseUrl'>): WorkerWatch
  /** Copies docker/worker/frontend logs into logsDir; returns the files. */
  captureLogs(): Promise<string[]>
  /** Every command run so far, in order (also in logsDir/dynamo-commands.jsonl). */
  readonly executed: readonly ExecutedStep[]
}

const tail = (text: string, lines = 40) => text.split('\n').slice(-lines).join('\n')

export const createDynamoTarget = (config: DynamoConfig, opts: DynamoTargetOptions): DynamoTarget => {
  const isDocker = config.launcher === 'docker'
  const ctx: StepContext = {
    config,
    home: opts.home ?? homedir(),
    nvidiaFsDevices: listNvidiaFsDevices(),
    hostEngineYamlPath: config.host_process.engine_yaml_path ?? join(opts.scratch, 'engine.yaml'),
    hostLogsDir: opts.logsDir,
  }
  const journal = join(opts.logsDir, 'dynamo-commands.jsonl')
  const waitReady = opts.waitReady ?? waitStackReady
  const executed: ExecutedStep[] = []

  let baseUrl = `http://${config.host}:${config.ports.frontend}`
  let announcedKvbmUrl: string | null = null
  let model = config.model.served_name
  let mode: KvModeId = 'B0'
  let modeVerified = false
  let modeEvidence: string[] = []
  let workerPid: number | null = null
  let frontendPid: number | null = null
  let worker: HostProcess | null = null
  let frontend: HostProcess | null = null
  let startedContainer = false
  let containerId: string | null = null
  let workerHostPid: number | null = null
  let frontendHostPid: number | null = null
  const hostPids = (): number[] => {
    const pairs: [number | null, number | null][] = [
      [workerPid, isDocker ? workerHostPid : workerPid],
      [frontendPid, isDocker ? frontendHostPid : frontendPid],
    ]
    const live = pairs.filter(([c]) => c !== null)
    const mapped = live.every(([, h]) => h !== null)
    provenance.pidNamespace = isDocker ? (mapped ? 'host' : 'container') : 'host'
    return live.map(([c, h]) => (mapped ? (h as number) : (c as number)))
  }
  let emulated = false
  let started = false
  let currentYaml = engineYaml(config.engine, 'B0')
  const provenance: Record<string, unknown> = {
    launcher: config.launcher,
    modelPath: config.model.path,
    modelSnapshotId: modelSnapshotId(config.model.path),
    servedModelName: config.model.served_name,
    maxInputTokens: dynamoMaxInputTokens(config.engine),
    maxNumTokens: config.engine.max_num_tokens,
    maxSeqLen: config.engine.max_seq_len,
    maxBatchSize: config.engine.max_batch_size,
    tokensPerBlock: config.engine.tokens_per_block,
    discoveryStore: config.discovery.store,
    commandJournal: journal,
    provenanceErrors: [] as string[],
  }
  const logFiles = new Set<string>()

  const run = async (step: DynamoStep): Promise<ExecutedStep> => {
    mkdirSync(opts.logsDir, { recursive: true })
    const t0 = performance.now()
    const res = await execa(step.argv[0], step.argv.slice(1), {
      input: step.input,
      reject: false,
      timeout: config.timeouts.command_s * 1000,
      env: opts.commandEnv,
      stripFinalNewline: false,
    })
    const rec: ExecutedStep = {
      id: step.id,
      argv: step.argv,
      exitCode: res.exitCode ?? null,
      ms: Math.round(performance.now() - t0),
      stdout: String(res.stdout ?? ''),
      stderr: String(res.stderr ?? '') || (res.failed && res.exitCode === undefined ? String(res.shortMessage) : ''),
    }
    executed.push(rec)
    appendFileSync(
      journal,
      JSON.stringify({ ts: new Date().toISOString(), id: step.id, mode: step.mode, argv: step.argv, exit_code: rec.exitCode, duration_ms: rec.ms, stderr: tail(rec.stderr, 5) }) + '\n',
    )
    if (rec.exitCode !== 0 && !step.optional)
      throw new DynamoTargetError('COMMAND_FAILED', `Expected step ${step.id} (${step.argv.slice(0, 4).join(' ')} …) to exit 0, got ${rec.exitCode}: ${tail(rec.stderr, 10)}`, {
        step: step.id,
      })
    return rec
  }

  const collectProvenance = async () => {
    const errors = provenance.provenanceErrors as string[]
    for (const step of provenanceSteps(ctx)) {
      const r = await run(step)
      if (r.exitCode !== 0) {
        errors.push(`${step.id}: ${step.argv[0]} exited ${r.exitCode}: ${tail(r.stderr, 2).trim()}`)
        continue
      }
      if (step.id === 'prov-image') Object.assign(provenance, { image: config.container.image, ...parseImageInspect(r.stdout) })
      if (step.id === 'prov-versions') {
        const v = parsePipShow(r.stdout)
        provenance.versions = { aiDynamo: v['ai-dynamo'] ?? null, tensorrtLlm: v['tensorrt-llm'] ?? null, kvbm: v.kvbm ?? null }
      }
      if (step.id === 'prov-gpu') provenance.gpu = parseNvidiaSmiQ(r.stdout)
      if (step.id === 'prov-nvme') provenance.nvme = parseNvmeIdCtrl(r.stdout)
      if (step.id === 'prov-pcie') provenance.pcieLink = parseLspciNvmeLink(r.stdout)
    }
  }

  const readContainerPid = async (what: 'worker' | 'frontend'): Promise<number> => {
    // The pid file is written by the detached shell a moment after `docker exec -d` returns.
    for (let i = 0; i < 20; i++) {
      const r = await run({ ...readPidStep(ctx, what), optional: true })
      const pid = Number(r.stdout.trim())
      if (r.exitCode === 0 && Number.isInteger(pid) && pid > 0) return pid
      await sleep(250)
    }
    throw new DynamoTargetError('WORKER_EXITED', `Expected a ${what} pid file in ${config.container.name}, got none after 5 s`)
  }

  const hostLog = (name: string) => join(opts.logsDir, `${name}.log`)

  const captureLogs = async (): Promise<string[]> => {
    mkdirSync(opts.logsDir, { recursive: true })
    if (!isDocker) {
      for (const f of [worker?.logFile, frontend?.logFile]) if (f) logFiles.add(f)
      return [...logFiles]
    }
    for (const step of logCaptureSteps(ctx)) {
      const r = await run(step)
      if (r.exitCode !== 0) continue
      const file =
        step.id === 'logs-docker' ? join(opts.logsDir, `docker-${config.container.name}.log`) : hostLog(step.id === 'logs-worker' ? 'worker' : 'frontend')
      writeFileSync(file, step.id === 'logs-docker' ? r.stdout + r.stderr : r.stdout)
      logFiles.add(file)
    }
    return [...logFiles]
  }

  const workerLogTail = async (): Promise<string> => {
    if (!isDocker) {
      try {
        return tail(readFileSync(hostLog('worker'), 'utf8'))
      } catch {
        return ''
      }
    }
    await captureLogs()
    try {
      return tail(readFileSync(hostLog('worker'), 'utf8'))
    } catch {
      return ''
    }
  }

  const kvbmUrl = (): string | null => {
    if (announcedKvbmUrl) return announcedKvbmUrl
    if (config.ports.kvbm_metrics === 0) return null
    return `http://${config.host}:${config.ports.kvbm_metrics}/metrics`
  }

  const stopWorker = async () => {
    if (isDocker) {
      await run(stopProcessStep(ctx, 'worker', workerPid))
    } else if (worker) {
      await worker.stop(config.timeouts.stop_grace_s * 1000)
      logFiles.add(worker.logFile)
    }
    worker = null
    workerPid = null
    workerHostPid = null
  }

  const wipeCache = async () => {
    if (isDocker) {
      await run(wipeCacheStep(ctx))
      return
    }
    mkdirSync(config.cache_dir, { recursive: true })
    for (const entry of readdirSync(config.cache_dir)) rmSync(join(config.cache_dir, entry), { recursive: true, force: true })
  }

  let everStarted = false
  const info = (): TargetInfo => {
    if (!everStarted) throw new Error('Expected start() (or applyMode) before info() on the dynamo target, got a target that was never started')
    return snapshot()
  }
  const snapshot = (): TargetInfo => ({
    kind: 'dynamo',
    baseUrl,
    model,
    frontendMetricsUrl: `${baseUrl}/metrics`,
    kvbmMetricsUrl: kvModeUsesKvbm(mode) && modeVerified ? kvbmUrl() : null,
    emulated,
    mode,
    modeVerified,
    modeEvidence: [...modeEvidence],
    // Host pids for IO attribution; container-namespace pids only when the mapping failed (see provenance.pidNamespace).
    pids: hostPids(),
    cacheDir: kvModeHasDiskTier(mode) ? config.cache_dir : null,
    maxInputTokens: dynamoMaxInputTokens(config.engine),
    provenance: { ...provenance, engineYaml: currentYaml.text, engineYamlSha256: currentYaml.sha256, engineYamlMode: currentYaml.mode },
    healthStyle: 'dynamo',
    logFiles: [...logFiles],
  })

  const start = async (): Promise<TargetInfo> => {
    if (started) return info()
    everStarted = true
    mkdirSync(opts.logsDir, { recursive: true })
    mkdirSync(opts.scratch, { recursive: true })
    if (isDocker) {
      const inspect = await run(containerInspectStep(ctx))
      // `inspect` may fail because the container does not exist; a dead daemon must not look like that.
      if (/Cannot connect to the Docker daemon|permission denied while trying to connect/i.test(inspect.stderr))
        throw new DynamoTargetError('COMMAND_FAILED', `Expected a reachable docker daemon, got: ${tail(inspect.stderr, 2).trim()}`, { step: 'container-inspect' })
      const [state, id] = inspect.stdout.trim().split(/\s+/)
      const running = inspect.exitCode === 0 && state === 'true'
      containerId = running ? (id ?? null) : null
      provenance.attachedToRunningContainer = running && config.container.reuse_running
      provenance.containerName = config.container.name
      if (running && config.container.reuse_running) {
        // Attach; still make sure our dirs exist (someone else may have started it).
        for (const step of containerUpSteps(ctx).filter((s) => s.id === 'container-dirs' || s.id === 'container-mount-check')) await run(step)
      } else {
        for (const step of containerUpSteps(ctx)) {
          const r = await run(step)
          if (step.id === 'container-up') containerId = /^[0-9a-f]{12,64}$/.exec(r.stdout.trim())?.[0] ?? null
        }
        startedContainer = true
      }
      // For cgroup IO attribution (/sys/fs/cgroup/…/docker-<id>.scope) and the pid mapping.
      provenance.containerId = containerId
      const mount = executed.findLast((e) => e.id === 'container-mount-check')
      if (mount?.exitCode === 0) provenance.cacheDirMount = mount.stdout.trim()
    } else {
      mkdirSync(config.cache_dir, { recursive: true })
    }
    if (opts.collectProvenance !== false) await collectProvenance()
    for (const step of discoverySteps(ctx)) await run(step)
    const fe = frontendStartStep(ctx)
    if (fe && isDocker) {
      await run(stopProcessStep(ctx, 'frontend', null))
      await run(fe)
      frontendPid = await readContainerPid('frontend')
      frontendHostPid = hostPidForContainerPid(frontendPid, containerId)
    } else if (fe) {
      frontend = launchHostProcess({ argv: fe.argv, env: buildChildEnv(process.env, fe.env), logFile: hostLog('frontend') })
      frontendPid = frontend.pid
      logFiles.add(frontend.logFile)
    }
    started = true
    return info()
  }

  const applyMode = async (kvMode: KvMode, applyOpts: ApplyModeOptions = {}): Promise<TargetInfo> => {
    if (!started) await start()
    if (applyOpts.faults) throw new Error(`Expected no fault spec for the dynamo target (kvsim only), got ${applyOpts.faults}`)
    const extraEnv = applyOpts.env ?? {}
    const smuggled = Object.keys(extraEnv).filter((k) => k.startsWith('DYN_KVBM_') || (KVBM_ENV_NAMES as readonly string[]).includes(k))
    if (smuggled.length > 0) throw new Error(`Expected KV mode variables to come from the mode, got them in applyMode env: ${smuggled.join(', ')}`)

    modeVerified = false
    modeEvidence = []
    mode = kvMode.id
    model = config.model.served_name
    await stopWorker()
    if (applyOpts.wipeCache !== false) await wipeCache()
    currentYaml = engineYaml(config.engine, kvMode.id)
    if (isDocker) await run(writeEngineYamlStep(ctx, kvMode.id))
    else {
      mkdirSync(dirname(ctx.hostEngineYamlPath), { recursive: true })
      writeFileSync(ctx.hostEngineYamlPath, currentYaml.text)
    }

    const step = workerStartStep(ctx, kvMode, extraEnv)
    appendFileSync(journal, JSON.stringify({ ts: new Date().toISOString(), id: 'worker-env', mode: kvMode.id, env: step.env }) + '\n')
    const exitAbort = new AbortController()
    if (isDocker) {
      await run(step)
      workerPid = await readContainerPid('worker')
      workerHostPid = hostPidForContainerPid(workerPid, containerId)
    } else {
      mkdirSync(opts.logsDir, { recursive: true })
      appendFileSync(hostLog('worker'), `== tierbench worker mode ${kvMode.id} ${new Date().toISOString()} ==\n`)
      worker = launchHostProcess({
        argv: step.argv,
        env: buildChildEnv(process.env, step.env),
        logFile: hostLog('worker'),
        announceJson: config.host_process.announce_json,
      })
      workerPid = worker.pid
      logFiles.add(worker.logFile)
      void worker.exited.then(() => exitAbort.abort())
      if (config.host_process.announce_json) {
        let ann: Record<string, unknown>
        try {
          ann = await worker.announcement(config.timeouts.ready_s * 1000)
        } catch (err) {
          throw new DynamoTargetError('WORKER_EXITED', `${(err as Error).message}\n${await workerLogTail()}`, { mode: kvMode.id })
        }
        if (typeof ann.url === 'string') baseUrl = ann.url.replace(/\/+$/, '')
        announcedKvbmUrl = typeof ann.kvbmMetricsUrl === 'string' ? ann.kvbmMetricsUrl : null
        if (typeof ann.pid === 'number' && ann.pid !== worker.pid) provenance.announcedPid = ann.pid
        if (typeof ann.model === 'string') model = ann.model
        // kvsim standing in for the worker says so; its numbers must never pass as a real stack's.
        emulated = ann.emulated === true
      }
    }

    await sleep(opts.aliveCheckMs ?? 2000)
    const alive = isDocker ? (await run({ ...workerAliveStep(ctx, workerPid), optional: true })).exitCode === 0 : (worker?.alive() ?? false)
    if (!alive)
      throw new DynamoTargetError('WORKER_EXITED', `Expected the ${kvMode.id} worker to stay up after start, got it gone. Log tail:\n${await workerLogTail()}`, {
        mode: kvMode.id,
      })

    // A containerized worker that dies during a long start (30 min init timeout) must end the
    // wait at once, as the host launcher's exit event does.
    let workerGone = false
    const liveness = isDocker
      ? setInterval(() => {
          void run({ ...workerAliveStep(ctx, workerPid), optional: true }).then((r) => {
            if (r.exitCode !== 0 && !exitAbort.signal.aborted) {
              workerGone = true
              exitAbort.abort()
            }
          }, () => undefined)
        }, opts.livenessPollMs ?? 10_000)
      : null
    const report = await waitReady({
      baseUrl,
      model,
      healthStyle: 'dynamo',
      timeoutMs: config.timeouts.ready_s * 1000,
      stallMs: config.timeouts.probe_stall_s * 1000,
      pollMs: opts.pollMs ?? 1000,
      probe: true,
      signal: exitAbort.signal,
    }).finally(() => {
      if (liveness) clearInterval(liveness)
    })
    appendFileSync(journal, JSON.stringify({ ts: new Date().toISOString(), id: 'readiness', mode: kvMode.id, report }) + '\n')
    if (!report.ready) {
      const logs = await workerLogTail()
      if (workerGone || (!isDocker && worker && !worker.alive()))
        throw new DynamoTargetError('WORKER_EXITED', `Expected the ${kvMode.id} worker to become ready, got it exited. Log tail:\n${logs}`, { mode: kvMode.id, report })
      if (report.probe.error?.startsWith('STALLED'))
        throw new DynamoTargetError('STALLED', `Expected the ${kvMode.id} probe completion to stream, got ${report.probe.error} (health ${report.health.status})`, {
          mode: kvMode.id,
          report,
        })
      throw new DynamoTargetError(
        'NOT_READY',
        `Expected ready within ${config.timeouts.ready_s} s in ${kvMode.id}, got health ${report.health.status} ${report.health.body.slice(0, 120)}, models [${report.models.join(', ')}], probe ${report.probe.error}`,
        { mode: kvMode.id, report },
      )
    }
    if (!report.models.includes(model)) {
      modeEvidence.push(`served model ${model} not listed by /v1/models; using ${report.models[0]}`)
      model = report.models[0] ?? model
    }

    const listOpenFiles = async (): Promise<string[]> => {
      if (workerPid === null) return []
      if (!isDocker) return localOpenFiles(workerPid)
      const r = await run({ ...workerFdsStep(ctx, kvMode.id, workerPid), optional: true })
      // Fail closed: a B1 check that cannot see the worker's fds proves nothing.
      if (r.exitCode !== 0)
        throw new DynamoTargetError('MODE_NOT_VERIFIED', `Expected to list /proc/${workerPid}/fd in ${config.container.name}, got exit ${r.exitCode}: ${tail(r.stderr, 3).trim()}`, {
          mode: kvMode.id,
        })
      return r.stdout.split('\n')
    }
    const verified = await verifyMode({
      mode: kvMode.id,
      kvbmMetricsUrl: kvbmUrl(),
      baseUrl,
      model,
      cacheDir: config.cache_dir,
      listOpenFiles,
      probePair: opts.b1ProbePair,
    })
    modeEvidence = [...modeEvidence, `ready in ${Math.round(report.elapsedMs)} ms (probe ttft ${report.probe.ttftMs?.toFixed(0)} ms)`, ...verified.evidence]
    modeVerified = true
    appendFileSync(journal, JSON.stringify({ ts: new Date().toISOString(), id: 'mode-verified', mode: kvMode.id, evidence: modeEvidence }) + '\n')
    return info()
  }

  const ready = async (o: { timeoutMs?: number } = {}) =>
    waitReady({
      baseUrl,
      model,
      healthStyle: 'dynamo',
      timeoutMs: o.timeoutMs ?? config.timeouts.ready_s * 1000,
      stallMs: config.timeouts.probe_stall_s * 1000,
      pollMs: opts.pollMs ?? 1000,
      probe: true,
    })

  const stop = async () => {
    // Also after a failed start: a container or process that did come up must still be reaped.
    const anything = started || startedContainer || worker !== null || frontend !== null || workerPid !== null
    started = false
    if (!anything) return
    if (isDocker) {
      await captureLogs().catch(() => undefined)
      for (const step of stopSteps(ctx, { removeContainer: startedContainer, workerPid, frontendPid })) await run(step).catch(() => undefined)
      startedContainer = false
    } else {
      const grace = config.timeouts.stop_grace_s * 1000
      await Promise.all([frontend?.stop(grace), worker?.stop(grace)])
      for (const p of [frontend, worker]) if (p) logFiles.add(p.logFile)
    }
    worker = null
    frontend = null
    workerPid = null
    frontendPid = null
    modeVerified = false
  }

  return {
    kind: 'dynamo',
    start,
    applyMode,
    ready,
    info,
    stop,
    captureLogs,
    executed,
    watchWorker: (o = {}) => watchWorker({ model, ...o, baseUrl }),
  }
}

