import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { execa } from 'execa'
import { KVBM_ENV_NAMES, kvModeHasDiskTier, type KvMode, type KvModeId } from '../config/kv-mode'
import type { TierPlan } from '../tiers/tier-plan'
import { withTrtllmDeviceTier } from '../tiers/dynamo-tier-config'
import {
  aliveStep,
  backendFileSteps,
  containerInspectStep,
  kvbmImportStep,
  containerUpSteps,
  discoverySteps,
  listNvidiaFsDevices,
  frontendStartStep,
  logCaptureSteps,
  portsToCheck,
  provenanceSteps,
  usesEngineYaml,
  versionsStep,
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
import { portHolder } from './dynamo-port-holder'
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
import { describeNotReady, type ReadinessOptions, waitReady as waitStackReady } from './readiness'
import { localDescendants, localOpenFiles, verifyBackendMode, verifyMode } from './dynamo-verify-mode'
import { dynamoCliFor, imageBackends, imageVersionsFromPip, NO_VERSIONS, type DynamoCli, type DynamoImageVersions } from './dynamo-version'
import { registryBackends, workerLaunch, type BackendLookup, type WorkerLaunch } from './dynamo-worker-launch'
import { watchWorker, type WatchWorkerOptions, type WorkerWatch } from './dynamo-watch'
import { buildChildEnv, launchHostProcess, type HostProcess } from './host-process'
import type { ApplyModeOptions, ReadinessReport, Target, TargetInfo } from './target'

// The Dynamo driver (dynamo.trtllm / dynamo.vllm / dynamo.sglang workers behind dynamo.frontend):
// runs the steps of dynamo-commands.ts through execa, either against a container (`launcher:
// docker`) or directly on the host (`launcher: host`, which is also how kvsim stands in for the
// worker in tests). Before anything starts it reads the versions inside the image and picks the
// command line from them. Worker and frontend are watched from the moment they start: one that
// exits is reported within seconds with its log tail. A mode change is a worker restart with the
// mode's backend configuration, then readiness, then a verification of the mode against the stack.

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
  /** Non-KVBM tiering backends by name. @default the helpers/backends registry */
  backends?: BackendLookup
  /** Whether nothing listens on a TCP port (tests inject one). @default a real bind on 0.0.0.0 */
  portIsFree?: (port: number) => Promise<boolean>
}

/** True when a listener can bind the port on every interface (what Dynamo's servers do). */
export const tcpPortIsFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen({ port, host: '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)))
  })

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

/** applyMode options the Dynamo driver understands on top of the shared ones. */
export interface DynamoApplyModeOptions extends ApplyModeOptions {
  /** This phase's tier plan (engineer #13's sizing); the config's `tiers.<mode>` otherwise. */
  tierPlan?: TierPlan | null
}

export const createDynamoTarget = (config: DynamoConfig, opts: DynamoTargetOptions): DynamoTarget => {
  const isDocker = config.launcher === 'docker'
  const lookup = opts.backends ?? registryBackends(config)
  const portIsFree = opts.portIsFree ?? tcpPortIsFree
  const ctx: StepContext = {
    config,
    home: opts.home ?? homedir(),
    nvidiaFsDevices: listNvidiaFsDevices(),
    hostEngineYamlPath: config.host_process.engine_yaml_path ?? join(opts.scratch, 'engine.yaml'),
    hostLogsDir: opts.logsDir,
    hostScratch: opts.scratch,
    backends: lookup,
  }
  const journal = join(opts.logsDir, 'dynamo-commands.jsonl')
  const waitReady = opts.waitReady ?? waitStackReady
  const executed: ExecutedStep[] = []

  let baseUrl = `http://${config.host}:${config.ports.frontend}`
  let announcedKvbmUrl: string | null = null
  let model = config.model.served_name
  let mode: KvModeId = 'B0'
  let modeBackend: WorkerLaunch['backend'] = null
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
  /** Versions read inside the image (null until read; NO_VERSIONS when they could not be). */
  let versions: DynamoImageVersions | null = null
  let versionsRead = false
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
  let currentYaml: ReturnType<typeof engineYaml> | null = config.worker.engine === 'trtllm' ? engineYaml(config.engine, 'B0') : null
  const warnings: string[] = []
  const provenance: Record<string, unknown> = {
    launcher: config.launcher,
    engine: config.worker.engine,
    modelPath: config.model.path,
    modelSnapshotId: modelSnapshotId(config.model.path),
    servedModelName: config.model.served_name,
    maxInputTokens: dynamoMaxInputTokens(config.engine),
    maxNumTokens: config.engine.max_num_tokens,
    maxSeqLen: config.engine.max_seq_len,
    maxBatchSize: config.engine.max_batch_size,
    tokensPerBlock: config.engine.tokens_per_block,
    discoveryStore: config.discovery.store,
    kvbmDiskODirect: config.kvbm_disk_o_direct,
    commandJournal: journal,
    provenanceErrors: [] as string[],
    warnings,
  }
  const logFiles = new Set<string>()

  const journalLine = (rec: Record<string, unknown>) => {
    mkdirSync(opts.logsDir, { recursive: true })
    appendFileSync(journal, JSON.stringify({ ts: new Date().toISOString(), ...rec }) + '\n')
  }

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
    journalLine({ id: step.id, mode: step.mode, argv: step.argv, exit_code: rec.exitCode, duration_ms: rec.ms, stderr: tail(rec.stderr, 5) })
    if (rec.exitCode !== 0 && !step.optional)
      throw new DynamoTargetError('COMMAND_FAILED', `Expected step ${step.id} (${step.argv.slice(0, 4).join(' ')} …) to exit 0, got ${rec.exitCode}: ${tail(rec.stderr, 10)}`, {
        step: step.id,
      })
    return rec
  }

  /** Versions inside the image decide the command line; read once, before the frontend or any worker starts. */
  const readVersions = async () => {
    const pinned = config.dynamo_version !== 'auto' ? config.dynamo_version : null
    // Host mode with a custom worker (kvsim) or without provenance: nothing to read.
    const canRead = isDocker || (opts.collectProvenance !== false && config.host_process.worker_command === null)
    if (canRead) {
      const r = await run(versionsStep(ctx))
      const pip = parsePipShow(r.stdout)
      if (Object.keys(pip).length > 0) {
        versions = imageVersionsFromPip(pip)
        versionsRead = true
      } else (provenance.provenanceErrors as string[]).push(`image-versions: pip show printed no package (exit ${r.exitCode}): ${tail(r.stderr, 2).trim()}`)
    }
    versions ??= NO_VERSIONS
    const cli: DynamoCli = pinned ? dynamoCliFor(pinned, 'config') : dynamoCliFor(versions.dynamo, versionsRead ? 'image' : 'unknown')
    if (pinned && versions.dynamo && versions.dynamo !== pinned)
      warnings.push(`DYNAMO_VERSION_PINNED: dynamo_version ${pinned} chose the command line, but the image has ai-dynamo ${versions.dynamo}`)
    if (cli.warning) warnings.push(cli.warning)
    ctx.cli = cli
    provenance.versions = { ...versions }
    provenance.dynamoCli = { generation: cli.generation, dynamoVersion: cli.dynamoVersion, source: cli.source }
    provenance.imageBackends = versionsRead ? imageBackends(versions, config.worker.engine) : null
  }

  const collectProvenance = async () => {
    const errors = provenance.provenanceErrors as string[]
    for (const step of provenanceSteps(ctx).filter((s) => s.id !== 'prov-versions')) {
      const r = await run(step)
      if (r.exitCode !== 0) {
        errors.push(`${step.id}: ${step.argv[0]} exited ${r.exitCode}: ${tail(r.stderr, 2).trim()}`)
        continue
      }
      if (step.id === 'prov-image') {
        const img = parseImageInspect(r.stdout)
        Object.assign(provenance, { image: config.container.image, ...img })
        // The tag moves; this names exactly what ran.
        provenance.imagePinned = img.digest ? `${config.container.image.replace(/[:@].*$/, '')}@${img.digest}` : null
        if (!img.digest) warnings.push(`IMAGE_NOT_PINNED: ${config.container.image} has no repo digest (a local build); only its image id ${img.imageId ?? '(unknown)'} is recorded`)
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
    throw new DynamoTargetError(what === 'worker' ? 'WORKER_EXITED' : 'FRONTEND_EXITED', `Expected a ${what} pid file in ${config.container.name}, got none after 5 s`)
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

  const logTail = async (what: 'worker' | 'frontend'): Promise<string> => {
    if (isDocker) await captureLogs()
    try {
      return tail(readFileSync(hostLog(what), 'utf8'))
    } catch {
      return ''
    }
  }

  const kvbmUrl = (): string | null => {
    if (announcedKvbmUrl) return announcedKvbmUrl
    if (config.ports.kvbm_metrics === 0) return null
    return `http://${config.host}:${config.ports.kvbm_metrics}/metrics`
  }

  /**
   * Stops a host process and every descendant, including ones that left its process group (an
   * executor that called setsid): they get the same TERM, then KILL after the grace. They must go
   * before the wait for the exit, since one that still holds the stdout pipe keeps that wait open.
   */
  const reapHost = async (p: HostProcess | null, descendants: number[]) => {
    if (!p) return
    const signal = (sig: NodeJS.Signals) => {
      for (const d of descendants)
        try {
          process.kill(d, sig)
        } catch {
          // already gone
        }
    }
    const grace = config.timeouts.stop_grace_s * 1000
    signal('SIGTERM')
    const stopping = p.stop(grace)
    await Promise.race([stopping, sleep(grace)])
    signal('SIGKILL')
    await stopping
    logFiles.add(p.logFile)
  }

  const stopWorker = async () => {
    if (isDocker) await run(stopProcessStep(ctx, 'worker', workerPid))
    else if (worker) await reapHost(worker, localDescendants(worker.pid))
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

  /** PORT_CONFLICT before a start, naming the port; only where this process shares the stack's network. */
  const checkPorts = async (what: 'frontend' | 'worker', launch?: WorkerLaunch, m?: KvModeId) => {
    if (isDocker && !config.container.network_host) return
    const ports = portsToCheck(ctx, what, launch)
    const busy: string[] = []
    for (const p of ports) {
      if (await portIsFree(p.port)) continue
      const h = portHolder(p.port)
      busy.push(`${p.port} (${p.name}) held by ${h ? `pid ${h.pid}: ${h.cmdline.slice(0, 160)}` : `a process this user cannot see (ss -ltnp 'sport = :${p.port}')`}`)
    }
    journalLine({ id: `${what}-ports-free`, mode: m, ports: ports.map((p) => p.port), busy })
    if (busy.length > 0)
      throw new DynamoTargetError(
        'PORT_CONFLICT',
        `Expected ports ${ports.map((p) => p.port).join(', ')} free before the ${what} starts, got ${busy.join('; ')} — likely an orphaned executor of an earlier run: stop it (or restart the container) and run again`,
        { mode: m, busy },
      )
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
    kvbmMetricsUrl: modeBackend === 'kvbm' && modeVerified ? kvbmUrl() : null,
    emulated,
    mode,
    modeVerified,
    modeEvidence: [...modeEvidence],
    // Host pids for IO attribution; container-namespace pids only when the mapping failed (see provenance.pidNamespace).
    pids: hostPids(),
    cacheDir: kvModeHasDiskTier(mode) ? config.cache_dir : null,
    maxInputTokens: dynamoMaxInputTokens(config.engine),
    provenance: {
      ...provenance,
      backend: modeBackend,
      engineYaml: currentYaml?.text ?? null,
      engineYamlSha256: currentYaml?.sha256 ?? null,
      engineYamlMode: currentYaml?.mode ?? null,
      warnings: [...warnings],
    },
    healthStyle: 'dynamo',
    logFiles: [...logFiles],
  })

  // ── liveness: both processes are watched from the moment they start ──────────────────────
  let frontendGone: string | null = null
  let workerGone = false
  let readinessAbort: AbortController | null = null
  const frontendExited = async (detail: string) =>
    new DynamoTargetError('FRONTEND_EXITED', `Expected the frontend to stay up, got it ${detail}. Log tail:\n${await logTail('frontend')}`, { mode })
  const onFrontendGone = (detail: string) => {
    if (frontendGone) return
    frontendGone = detail
    readinessAbort?.abort()
  }
  const dockerAlive = async (what: 'worker' | 'frontend') => (await run({ ...aliveStep(ctx, what, null), optional: true })).exitCode === 0

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
    await readVersions()
    if (opts.collectProvenance !== false) await collectProvenance()
    for (const step of discoverySteps(ctx)) await run(step)
    const fe = frontendStartStep(ctx)
    frontendGone = null
    if (fe && isDocker) {
      await run(stopProcessStep(ctx, 'frontend', null))
      await checkPorts('frontend')
      await run(fe)
      frontendPid = await readContainerPid('frontend')
      frontendHostPid = hostPidForContainerPid(frontendPid, containerId)
    } else if (fe) {
      await checkPorts('frontend')
      frontend = launchHostProcess({ argv: fe.argv, env: buildChildEnv(process.env, fe.env), logFile: hostLog('frontend') })
      frontendPid = frontend.pid
      logFiles.add(frontend.logFile)
      const fp = frontend
      void fp.exited.then((x) => {
        if (frontend === fp) onFrontendGone(`exited with ${x.code === null ? `signal ${x.signal}` : `code ${x.code}`}`)
      })
    }
    started = true
    if (fe) {
      // A bad flag (e.g. --store-kv on 1.x) ends the frontend within a second or two.
      await sleep(opts.aliveCheckMs ?? 2000)
      if (isDocker && !(await dockerAlive('frontend'))) onFrontendGone('gone right after start')
      if (frontendGone) throw await frontendExited(frontendGone)
    }
    return info()
  }

  const applyMode = async (kvMode: KvMode, applyOpts: DynamoApplyModeOptions = {}): Promise<TargetInfo> => {
    if (applyOpts.faults) throw new Error(`Expected no fault spec for the dynamo target (kvsim only), got ${applyOpts.faults}`)
    const extraEnv = applyOpts.env ?? {}
    const smuggled = Object.keys(extraEnv).filter((k) => k.startsWith('DYN_KVBM_') || (KVBM_ENV_NAMES as readonly string[]).includes(k))
    if (smuggled.length > 0) throw new Error(`Expected KV mode variables to come from the mode, got them in applyMode env: ${smuggled.join(', ')}`)
    if (!started) await start()
    if (frontendGone) throw await frontendExited(frontendGone)

    // Everything that can refuse the mode does so before the running worker is touched.
    const tierPlan = applyOpts.tierPlan ?? applyOpts.tiers ?? null
    const baseLaunch = workerLaunch(config, ctx.cli?.generation ?? 'discovery-backend', kvMode, { lookup, tierPlan })
    // The tier plan's device tier reaches TRT-LLM as kv_cache_config.max_tokens (helpers/tiers).
    const launch = { ...baseLaunch, engineYaml: withTrtllmDeviceTier(baseLaunch.engineYaml, tierPlan) }
    if (launch.backend === 'kvbm' && versionsRead && versions && !versions.kvbm) {
      // No pip metadata is not proof: the module may ship inside another wheel. A failed import is.
      const imp = await run(kvbmImportStep(ctx))
      if (imp.exitCode === 0) {
        versions = { ...versions, kvbm: 'importable (no pip metadata)' }
        provenance.versions = { ...versions }
      } else {
        const has = imageBackends(versions, config.worker.engine)
        throw new DynamoTargetError(
          'KVBM_UNAVAILABLE',
          `Expected the kvbm package in ${isDocker ? config.container.image : 'this Python environment'} for ${kvMode.id} (KVBM is deprecated since Dynamo 1.5 and absent from newer images), got none (${tail(imp.stderr.trim(), 1) || `import exited ${imp.exitCode}`}); this image has ${has.length > 0 ? has.join(', ') : 'no tiering backend tierbench knows'} for ${config.worker.engine} — set worker.backend to one of them or pin a KVBM image (docs/running-on-spark.md)`,
          { mode: kvMode.id, available: has },
        )
      }
    }

    modeVerified = false
    modeEvidence = []
    mode = kvMode.id
    modeBackend = launch.backend
    model = config.model.served_name
    await stopWorker()
    await checkPorts('worker', launch, kvMode.id)
    if (applyOpts.wipeCache !== false) await wipeCache()
    currentYaml = usesEngineYaml(ctx) ? engineYaml(config.engine, kvMode.id, launch.engineYaml) : null
    if (currentYaml) {
      if (isDocker) await run(writeEngineYamlStep(ctx, kvMode.id, launch))
      else {
        mkdirSync(dirname(ctx.hostEngineYamlPath), { recursive: true })
        writeFileSync(ctx.hostEngineYamlPath, currentYaml.text)
      }
    }
    for (const f of backendFileSteps(ctx, kvMode.id, launch)) {
      if (isDocker) await run(f)
      else {
        const path = f.argv.at(-1) as string
        mkdirSync(dirname(path), { recursive: true })
        writeFileSync(path, f.input ?? '')
      }
    }

    const step = workerStartStep(ctx, kvMode, extraEnv, launch)
    journalLine({ id: 'worker-env', mode: kvMode.id, backend: launch.backend, env: step.env })
    const exitAbort = new AbortController()
    readinessAbort = exitAbort
    workerGone = false
    if (isDocker) {
      await run(step)
      workerPid = await readContainerPid('worker')
      workerHostPid = hostPidForContainerPid(workerPid, containerId)
    } else {
      appendFileSync(hostLog('worker'), `== tierbench worker mode ${kvMode.id} ${new Date().toISOString()} ==\n`)
      worker = launchHostProcess({
        argv: step.argv,
        env: buildChildEnv(process.env, step.env),
        logFile: hostLog('worker'),
        announceJson: config.host_process.announce_json,
      })
      const wp = worker
      workerPid = wp.pid
      logFiles.add(wp.logFile)
      void wp.exited.then(() => {
        if (worker === wp) {
          workerGone = true
          exitAbort.abort()
        }
      })
      if (config.host_process.announce_json) {
        let ann: Record<string, unknown>
        try {
          ann = await wp.announcement(config.timeouts.ready_s * 1000)
        } catch (err) {
          throw new DynamoTargetError('WORKER_EXITED', `${(err as Error).message}\n${await logTail('worker')}`, { mode: kvMode.id })
        }
        if (typeof ann.url === 'string') baseUrl = ann.url.replace(/\/+$/, '')
        announcedKvbmUrl = typeof ann.kvbmMetricsUrl === 'string' ? ann.kvbmMetricsUrl : null
        if (typeof ann.pid === 'number' && ann.pid !== wp.pid) provenance.announcedPid = ann.pid
        if (typeof ann.model === 'string') model = ann.model
        // kvsim standing in for the worker says so; its numbers must never pass as a real stack's.
        emulated = ann.emulated === true
      }
    }

    const exitedError = async (detail: string) => {
      if (frontendGone) return frontendExited(frontendGone)
      return new DynamoTargetError('WORKER_EXITED', `Expected the ${kvMode.id} worker to ${detail}, got it exited. Log tail:\n${await logTail('worker')}`, {
        mode: kvMode.id,
      })
    }
    // Both exits end the wait at once; the first check comes after a short grace (a bad flag exits in about a second).
    await sleep(opts.aliveCheckMs ?? 2000, undefined, { signal: exitAbort.signal }).catch(() => undefined)
    if (isDocker && !exitAbort.signal.aborted) {
      if (!(await dockerAlive('worker'))) workerGone = true
      else if (frontendPid !== null && !(await dockerAlive('frontend'))) onFrontendGone('gone')
    }
    if (workerGone || frontendGone) throw await exitedError('stay up after start')

    // A containerized worker or frontend that dies during a long start (30 min init timeout) must
    // end the wait at once, as the host launcher's exit event does.
    const liveness = isDocker
      ? setInterval(() => {
          void (async () => {
            if (exitAbort.signal.aborted) return
            if (!(await dockerAlive('worker'))) {
              workerGone = true
              exitAbort.abort()
            } else if (frontendPid !== null && !(await dockerAlive('frontend'))) onFrontendGone('gone while the worker started')
          })().catch(() => undefined)
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
      readinessAbort = null
    })
    journalLine({ id: 'readiness', mode: kvMode.id, report })
    if (!report.ready) {
      if (workerGone || frontendGone) throw await exitedError('become ready')
      if (report.probe.error?.startsWith('STALLED'))
        throw new DynamoTargetError('STALLED', `Expected the ${kvMode.id} probe completion to stream, got ${report.probe.error} (health ${report.health.status})`, {
          mode: kvMode.id,
          report,
        })
      throw new DynamoTargetError('NOT_READY', `Expected ready within ${config.timeouts.ready_s} s in ${kvMode.id}, got ${describeNotReady(report)}`, { mode: kvMode.id, report })
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
    const verified =
      launch.backend === null || launch.backend === 'kvbm'
        ? await verifyMode({ mode: kvMode.id, kvbmMetricsUrl: kvbmUrl(), baseUrl, model, cacheDir: config.cache_dir, listOpenFiles, probePair: opts.b1ProbePair })
        : await verifyBackendMode({
            mode: kvMode.id,
            backend: launch.backend,
            spec: (lookup(launch.backend) as NonNullable<ReturnType<BackendLookup>>).verification(kvMode.id),
            metricsUrl: config.ports.system === null ? null : `http://${config.host}:${config.ports.system}/metrics`,
            cacheDir: config.cache_dir,
            listOpenFiles,
          })
    modeEvidence = [...modeEvidence, `ready in ${Math.round(report.elapsedMs)} ms (probe ttft ${report.probe.ttftMs?.toFixed(0)} ms)`, ...verified.evidence]
    modeVerified = true
    journalLine({ id: 'mode-verified', mode: kvMode.id, backend: launch.backend, evidence: modeEvidence })
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
      const [f, w] = [frontend, worker]
      frontend = null
      worker = null
      await Promise.all([reapHost(f, f ? localDescendants(f.pid) : []), reapHost(w, w ? localDescendants(w.pid) : [])])
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
