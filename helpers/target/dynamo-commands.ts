import { readdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { kvModeUsesKvbm, type KvMode, type KvModeId } from '../config/kv-mode'
import type { DynamoConfig, DynamoEngineKind } from './dynamo-config'
import { engineYaml } from './dynamo-engine-yaml'
import { DYNAMO_IMAGE_PACKAGES, type DynamoCli, type DynamoCliGeneration } from './dynamo-version'
import { KVBM_CONTROLLED_ENV, registryBackends, workerLaunch, type BackendLookup, type WorkerLaunch } from './dynamo-worker-launch'

// The Spark runbook (seed 004) as pure data: every command the Dynamo driver runs, in order, with
// the env it sets and why. The driver executes these steps; `tierbench plan` prints them. Keeping
// them data means the plan can never drift from what actually runs.

export interface DynamoStep {
  /** Stable id, e.g. `worker-start` (mode-specific steps carry the mode in `mode`). */
  id: string
  title: string
  argv: string[]
  /** Env the launched program must see; `undefined` = must be unset (never inherited). */
  env: Record<string, string | undefined>
  why: string
  mode?: KvModeId
  /** Bytes written to the command's stdin (the engine YAML). */
  input?: string
  /** The driver performs this itself over HTTP/procfs; argv is the equivalent shell command. */
  inProcess?: boolean
  /** A long-running process (launcher host): started detached, its pid recorded. */
  longRunning?: boolean
  /** Failure does not stop the run (provenance, stopping something already gone). */
  optional?: boolean
}

export interface StepContext {
  config: DynamoConfig
  /** Home directory used to expand `$HOME`/`~` in mounts. */
  home: string
  /** /dev/nvidia-fs* present on the host (none on GB10: no GDS). */
  nvidiaFsDevices: string[]
  /** Host path of the engine YAML (launcher host). */
  hostEngineYamlPath: string
  /** Host dir for logs (launcher host). */
  hostLogsDir: string
  /** The command-line generation (from the image's versions or the config). @default newest */
  cli?: DynamoCli
  /** Host scratch dir: the file discovery store lives under it for launcher host. @default hostLogsDir/.. */
  hostScratch?: string
  /** Finds non-KVBM tiering backends by name. @default the helpers/backends registry */
  backends?: BackendLookup
}

/** The launch of a mode with the config's sizes (the driver passes its own, with the phase's tier plan). */
export const defaultLaunch = (ctx: StepContext, mode: KvMode): WorkerLaunch =>
  workerLaunch(ctx.config, generation(ctx), mode, { lookup: ctx.backends ?? registryBackends(ctx.config) })

const generation = (ctx: StepContext): DynamoCliGeneration => ctx.cli?.generation ?? 'discovery-backend'
const engineKind = (ctx: StepContext): DynamoEngineKind => ctx.config.worker.engine

/** The file discovery store dir (DYN_FILE_KV): configured, or a tierbench-owned dir in the container / the scratch dir. */
export const fileStoreDir = (ctx: StepContext): string =>
  ctx.config.discovery.file_dir ?? (docker(ctx) ? '/tmp/tierbench/dynamo-store' : `${ctx.hostScratch ?? dirname(ctx.hostEngineYamlPath)}/dynamo-store`)

/** Placeholder used in printed plans where a value only exists at run time. */
export const PID_PLACEHOLDER = (what: string) => `<pid of ${what}>`

const docker = (ctx: StepContext) => ctx.config.launcher === 'docker'
const c = (ctx: StepContext) => ctx.config.container

const workerPidFile = (ctx: StepContext) => `${c(ctx).logs_dir}/worker.pid`
const frontendPidFile = (ctx: StepContext) => `${c(ctx).logs_dir}/frontend.pid`
const workerLog = (ctx: StepContext) => `${c(ctx).logs_dir}/worker.log`
const frontendLog = (ctx: StepContext) => `${c(ctx).logs_dir}/frontend.log`

const expandHome = (s: string, home: string) => s.replace(/^~(?=\/)/, home).replaceAll('$HOME', home)

/** Single-quote for `bash -c` bodies. */
export const shQuote = (s: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`)

export { modeWithSizes } from './dynamo-worker-launch'

const storeFlag = (ctx: StepContext) => (ctx.config.discovery.store === 'file' ? 'file' : 'etcd')

/** `--discovery-backend file` on Dynamo >= 1.0, `--store-kv file` before (renamed without an alias). */
export const discoveryArgs = (ctx: StepContext): string[] => [generation(ctx) === 'discovery-backend' ? '--discovery-backend' : '--store-kv', storeFlag(ctx)]

/** Discovery env for worker and frontend: the store (named for the generation), DYN_FILE_KV, etcd/NATS endpoints. */
export const discoveryEnv = (ctx: StepContext): Record<string, string> => {
  const d = ctx.config.discovery
  const env: Record<string, string> =
    generation(ctx) === 'discovery-backend' ? { DYN_DISCOVERY_BACKEND: storeFlag(ctx) } : { DYN_STORE_KV: storeFlag(ctx) }
  // Both generations read the file store's root from DYN_FILE_KV (else $TMPDIR/dynamo_store_kv):
  // the dir wiped at start is only the one in use when this points at it.
  if (d.store === 'file') env.DYN_FILE_KV = fileStoreDir(ctx)
  else env.ETCD_ENDPOINTS = d.etcd_endpoints
  if (d.store === 'etcd-nats') env.NATS_SERVER = d.nats_server
  return env
}

/**
 * Everything the worker must see for a mode: the backend's env (KVBM: the DYN_KVBM_* set, undefined =
 * unset, plus the init timeout and the O_DIRECT switch), the system port and discovery.
 */
export const workerEnv = (ctx: StepContext, mode: KvMode, extra: Record<string, string> = {}, launch?: WorkerLaunch) => {
  const { config } = ctx
  const l = launch ?? defaultLaunch(ctx, mode)
  const env: Record<string, string | undefined> = {
    ...l.env,
    DYN_SYSTEM_PORT: config.ports.system === null ? undefined : String(config.ports.system),
    ...discoveryEnv(ctx),
    ...(docker(ctx) ? {} : config.host_process.env),
    ...extra,
  }
  return env
}

/** Every variable name a worker env must control, including ones a mode leaves unset. */
export const CONTROLLED_WORKER_ENV = KVBM_CONTROLLED_ENV

const fill = (template: string[], ctx: StepContext, extra: Record<string, string> = {}): string[] => {
  const { config } = ctx
  const values: Record<string, string> = {
    model_path: config.model.path,
    served_name: config.model.served_name,
    engine_yaml: docker(ctx) ? c(ctx).engine_yaml_path : ctx.hostEngineYamlPath,
    frontend_port: String(config.ports.frontend),
    kvbm_metrics_port: String(config.ports.kvbm_metrics),
    store: storeFlag(ctx),
    cache_dir: config.cache_dir,
    file_store_dir: fileStoreDir(ctx),
    ...extra,
  }
  return template.map((part) =>
    part.replace(/\{([a-z_]+)\}/g, (m, key: string) => {
      if (!(key in values)) throw new Error(`Expected a known placeholder in command template, got ${m}`)
      return values[key]
    }),
  )
}

// ── container ────────────────────────────────────────────────────────────────────────────────

export const containerInspectStep = (ctx: StepContext): DynamoStep => ({
  id: 'container-inspect',
  title: `Check whether container ${c(ctx).name} is running`,
  argv: ['docker', 'inspect', '--format', '{{.State.Running}} {{.Id}}', c(ctx).name],
  env: {},
  why: 'Attach to a running container instead of replacing it (model weights stay in page cache; no second container fights for the GPU).',
  optional: true,
})

export const containerUpSteps = (ctx: StepContext): DynamoStep[] => {
  if (!docker(ctx)) return []
  const ct = c(ctx)
  const argv = ['docker', 'run', '-d', '--name', ct.name, '--gpus', ct.gpus]
  if (ct.ipc_host) argv.push('--ipc', 'host')
  if (ct.network_host) argv.push('--network', 'host')
  if (ct.nvidia_fs_devices) for (const d of ctx.nvidiaFsDevices) argv.push(`--device=${d}`)
  for (const d of ct.devices) argv.push(`--device=${d}`)
  if (ct.memlock_unlimited) argv.push('--ulimit', 'memlock=-1')
  for (const cap of ct.cap_add) argv.push('--cap-add', cap)
  for (const opt of ct.security_opt) argv.push('--security-opt', opt)
  for (const [k, v] of Object.entries(ct.env)) argv.push('-e', `${k}=${v}`)
  argv.push('-v', expandHome(ct.cache_mount, ctx.home))
  for (const m of ct.mounts) argv.push('-v', expandHome(m, ctx.home))
  argv.push(ct.image, 'bash', '-lc', 'sleep infinity')
  return [
    {
      id: 'container-remove-stale',
      title: `Remove a stopped container named ${ct.name}`,
      argv: ['docker', 'rm', '-f', ct.name],
      env: {},
      why: 'A stopped container with the same name makes `docker run --name` fail.',
      optional: true,
    },
    {
      id: 'container-up',
      title: `Start container ${ct.name} from ${ct.image}`,
      argv,
      env: {},
      why: 'Host network/IPC, GPUs, NVMe and nvidia-fs devices, unlimited memlock and IPC_LOCK/SYS_ADMIN are what KVBM needs to pin host memory and open the disk tier with O_DIRECT. No DYN_KVBM_* here: a container-level value would leak into every mode.',
    },
    {
      id: 'container-dirs',
      title: 'Create the log, engine-config and cache directories inside the container',
      argv: ['docker', 'exec', ct.name, 'mkdir', '-p', ct.logs_dir, dirname(ct.engine_yaml_path), ctx.config.cache_dir],
      env: {},
      why: 'Missing log dirs hid worker failures in the prior harness.',
    },
    {
      id: 'container-mount-check',
      title: 'Show which filesystem backs the cache dir',
      argv: ['docker', 'exec', ct.name, 'findmnt', '-T', ctx.config.cache_dir, '-o', 'TARGET,SOURCE,FSTYPE,OPTIONS'],
      env: {},
      why: 'The disk tier must land on the NVMe under test, not on an overlay or tmpfs.',
      optional: true,
    },
  ]
}

// ── discovery ────────────────────────────────────────────────────────────────────────────────

export const discoverySteps = (ctx: StepContext): DynamoStep[] => {
  const d = ctx.config.discovery
  if (d.store === 'file') {
    const dir = fileStoreDir(ctx)
    const argv = ['sh', '-c', `rm -rf -- ${shQuote(dir)} && mkdir -p -- ${shQuote(dir)}`]
    return [
      {
        id: 'discovery-reset',
        title: `Clear the file discovery store ${dir} (DYN_FILE_KV)`,
        argv: docker(ctx) ? ['docker', 'exec', c(ctx).name, ...argv] : argv,
        env: {},
        why: 'Stale registrations of a dead worker would make the frontend route to nothing; worker and frontend get DYN_FILE_KV pointing here, else Dynamo keeps its own $TMPDIR/dynamo_store_kv.',
      },
    ]
  }
  const steps: DynamoStep[] = [
    {
      id: 'discovery-etcd',
      title: 'Start etcd on 127.0.0.1:2379',
      argv: ['docker', 'run', '-d', '--rm', '--name', 'tierbench-etcd', '--network', 'host', d.etcd_image, 'etcd',
        '--listen-client-urls', 'http://127.0.0.1:2379', '--advertise-client-urls', 'http://127.0.0.1:2379'],
      env: {},
      why: 'Dynamo registers workers in etcd unless the file store is used.',
    },
  ]
  if (d.store === 'etcd-nats')
    steps.push({
      id: 'discovery-nats',
      title: 'Start NATS with JetStream on 127.0.0.1:4222',
      argv: ['docker', 'run', '-d', '--rm', '--name', 'tierbench-nats', '--network', 'host', d.nats_image, '-js', '-a', '127.0.0.1'],
      env: {},
      why: 'KV events for the router need NATS with JetStream, at the same URL on both sides.',
    })
  return steps
}

// ── worker ───────────────────────────────────────────────────────────────────────────────────

/** Anchored at the start of the command line, so it can never match the shell that runs pkill. */
export const workerPattern = (engine: DynamoEngineKind) => `^python3 -m dynamo\\.${engine}( |$)`
export const WORKER_PATTERN = workerPattern('trtllm')
export const FRONTEND_PATTERN = '^python3 -m dynamo\\.frontend( |$)'

/** sh function printing every descendant pid of $1 (children of every thread, recursively). */
const DESC_FN = 'desc() { for c in $(cat /proc/$1/task/*/children 2>/dev/null); do echo $c; desc $c; done; }'

export const stopProcessStep = (ctx: StepContext, what: 'worker' | 'frontend', pid: number | null): DynamoStep => {
  const pidText = pid === null ? PID_PLACEHOLDER(what) : String(pid)
  const grace = ctx.config.timeouts.stop_grace_s
  if (!docker(ctx))
    return {
      id: `${what}-stop`,
      title: `Stop the ${what} (pid ${pidText}, its process group and every descendant)`,
      argv: ['kill', '-TERM', `-${pidText}`],
      env: {},
      why: `By exact pid, never by name: a name pattern can match the caller. Descendants that left the group (TRT-LLM's executor) are listed first and killed too; SIGKILL follows after ${grace} s.`,
      inProcess: true,
      optional: true,
    }
  const pattern = what === 'worker' ? workerPattern(engineKind(ctx)) : FRONTEND_PATTERN
  const pidFile = what === 'worker' ? workerPidFile(ctx) : frontendPidFile(ctx)
  // Exact pid from the pid file first; the anchored pattern catches a process started outside
  // this driver (or a pid file lost with /tmp). Every descendant is collected before the first
  // signal (an executor grandchild keeps :6880 and the ZMQ ports bound if it survives), then
  // TERM, wait, KILL whatever is left.
  const body = [
    DESC_FN,
    `p=$(cat ${pidFile} 2>/dev/null || true)`,
    `all=""`,
    `for q in $p $(pgrep -f ${shQuote(pattern)}); do all="$all $q $(desc $q)"; done`,
    `if [ -n "$all" ]; then kill -TERM $all 2>/dev/null; fi`,
    `i=0; while [ $i -lt ${grace} ]; do left=""; for q in $all; do kill -0 $q 2>/dev/null && left="$left $q"; done; [ -z "$left" ] && break; i=$((i+1)); sleep 1; done`,
    `if [ -n "$all" ]; then kill -KILL $all 2>/dev/null; fi`,
    `rm -f ${pidFile}; true`,
  ].join('; ')
  return {
    id: `${what}-stop`,
    title: `Stop the ${what} and every descendant (pid from ${pidFile}, then anchored pattern)`,
    argv: ['docker', 'exec', c(ctx).name, 'sh', '-c', body],
    env: {},
    why: `By exact pid, then by a pattern anchored at ^python3 that cannot match this sh -c (the prior harness's pkill matched its caller), with all descendants: an orphaned executor would hold :${ctx.config.ports.kvbm_metrics} and make the next start fail. SIGKILL after ${grace} s.`,
    optional: true,
  }
}

export const wipeCacheStep = (ctx: StepContext): DynamoStep => {
  const dir = ctx.config.cache_dir
  return {
    id: 'cache-wipe',
    title: `Wipe the KV cache dir ${dir}`,
    argv: docker(ctx)
      ? ['docker', 'exec', c(ctx).name, 'find', dir, '-mindepth', '1', '-delete']
      : ['find', dir, '-mindepth', '1', '-delete'],
    env: {},
    why: 'Every mode starts cold: blocks left by the previous leg must not serve this one.',
    inProcess: !docker(ctx),
  }
}

/** Whether the engine reads an engine YAML (TRT-LLM's --extra-engine-args); vLLM and SGLang take flags. */
export const usesEngineYaml = (ctx: StepContext) => engineKind(ctx) === 'trtllm'

export const writeEngineYamlStep = (ctx: StepContext, mode: KvModeId, launch?: WorkerLaunch): DynamoStep => {
  const l = launch ?? defaultLaunch(ctx, { id: mode })
  const y = engineYaml(ctx.config.engine, mode, l.engineYaml)
  const path = docker(ctx) ? c(ctx).engine_yaml_path : ctx.hostEngineYamlPath
  const body = `mkdir -p "$(dirname "$1")" && cat > "$1"`
  return {
    id: 'engine-yaml',
    title: `Write the ${mode} engine YAML (sha256 ${y.sha256.slice(0, 12)}) to ${path}`,
    argv: docker(ctx) ? ['docker', 'exec', '-i', c(ctx).name, 'sh', '-c', body, 'sh', path] : ['sh', '-c', body, 'sh', path],
    env: {},
    why:
      mode === 'B0'
        ? 'B0 is the same engine file without the tiering backend, so only the backend differs between modes.'
        : l.backend === 'kvbm'
          ? 'The KVBM connector (leader/worker classes) with enable_partial_reuse: false, as the KVBM guide requires.'
          : `The ${l.backend} fragment merged into the same engine file.`,
    mode,
    input: y.text,
    inProcess: !docker(ctx),
  }
}

/** Extra files a backend needs (e.g. an LMCache YAML), next to the engine YAML. */
export const backendFilesDir = (ctx: StepContext) => dirname(docker(ctx) ? c(ctx).engine_yaml_path : ctx.hostEngineYamlPath)

export const backendFileSteps = (ctx: StepContext, mode: KvModeId, launch: WorkerLaunch): DynamoStep[] =>
  launch.files.map((f) => {
    const path = `${backendFilesDir(ctx)}/${f.name}`
    const body = `mkdir -p "$(dirname "$1")" && cat > "$1"`
    return {
      id: 'backend-file',
      title: `Write ${launch.backend}'s ${f.name} to ${path}`,
      argv: docker(ctx) ? ['docker', 'exec', '-i', c(ctx).name, 'sh', '-c', body, 'sh', path] : ['sh', '-c', body, 'sh', path],
      env: {},
      why: `The ${launch.backend} backend reads its settings from this file.`,
      mode,
      input: f.content,
      inProcess: !docker(ctx),
    }
  })

/** Refuses extra args that the image's Dynamo no longer (or not yet) accepts: they make a process exit at once. */
export const checkExtraArgs = (ctx: StepContext, what: 'worker' | 'frontend', args: string[]): void => {
  const gone =
    generation(ctx) === 'discovery-backend' ? ['--store-kv', '--exp-python-factory'] : ['--discovery-backend']
  const bad = args.filter((a) => gone.includes(a.split('=')[0]))
  if (bad.length > 0)
    throw new Error(
      `Expected no ${bad.join(', ')} in container.${what}_extra_args for Dynamo ${ctx.cli?.dynamoVersion ?? '(newest)'} (the ${what} exits at once on it), got ${JSON.stringify(args)}`,
    )
}

/** argv of the worker process itself (without the docker wrapper), for the image's Dynamo version and engine. */
export const workerCommand = (ctx: StepContext, launch?: WorkerLaunch, mode: KvModeId = 'B0'): string[] => {
  const { config } = ctx
  if (!docker(ctx) && config.host_process.worker_command) return fill(config.host_process.worker_command, ctx)
  const l = launch ?? defaultLaunch(ctx, { id: mode })
  const extra = c(ctx).worker_extra_args
  checkExtraArgs(ctx, 'worker', extra)
  const v1 = generation(ctx) === 'discovery-backend'
  const e = config.engine
  const model = config.model
  const engine = engineKind(ctx)
  const head =
    engine === 'trtllm'
      ? ['python3', '-m', 'dynamo.trtllm', v1 ? '--model' : '--model-path', model.path, '--served-model-name', model.served_name,
          '--endpoint', 'dyn://dynamo.tensorrt_llm.generate', '--extra-engine-args', docker(ctx) ? c(ctx).engine_yaml_path : ctx.hostEngineYamlPath]
      : engine === 'vllm'
        ? ['python3', '-m', 'dynamo.vllm', '--model', model.path, '--served-model-name', model.served_name,
            '--max-model-len', String(e.max_seq_len), '--max-num-batched-tokens', String(e.max_num_tokens), '--max-num-seqs', String(e.max_batch_size)]
        : // SGLang's own server flag is still --model-path; --enable-cache-report returns cached_tokens per request.
          ['python3', '-m', 'dynamo.sglang', '--model-path', model.path, '--served-model-name', model.served_name,
            '--context-length', String(e.max_seq_len), '--max-running-requests', String(e.max_batch_size), '--enable-cache-report']
  // A backend's bare switch the engine command already has (SGLang's --enable-cache-report) is not repeated.
  const args = l.args.filter((a, i) => !(a.startsWith('--') && head.includes(a) && (l.args[i + 1] === undefined || l.args[i + 1].startsWith('--'))))
  return [...head, ...discoveryArgs(ctx), ...args, ...extra]
}

/** Wraps a process for `docker exec -d`: writes its pid, unsets what must be unset, logs to a file. */
const detachedInContainer = (
  ctx: StepContext,
  env: Record<string, string | undefined>,
  command: string[],
  pidFile: string,
  logFile: string,
  label: string,
): string[] => {
  const sets = Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)
  const unsets = Object.entries(env).filter(([, v]) => v === undefined).map(([k]) => k)
  const argv = ['docker', 'exec', '-d']
  for (const [k, v] of sets) argv.push('-e', `${k}=${v}`)
  // `exec env -u …` keeps the pid written by `echo $$` (env execs the program in place) and strips
  // anything the image or container env might still carry.
  const unsetArgs = unsets.map((k) => `-u ${k}`).join(' ')
  // Append, with a marker, so one log spans every mode of the run (a restart must not erase the
  // previous leg's errors before they are captured).
  const marker = `echo "== tierbench ${label} $(date -u +%Y-%m-%dT%H:%M:%SZ) pid $$ ==" >> ${logFile}`
  const body = `echo $$ > ${pidFile}; ${marker}; exec env ${unsetArgs} ${command.map(shQuote).join(' ')} >> ${logFile} 2>&1`
  // A login shell (-l), as the runtime images expect: their venv and CUDA paths come from /etc/profile.d.
  argv.push(c(ctx).name, 'bash', '-lc', body.replace(/ {2,}/g, ' '))
  return argv
}

export const workerStartStep = (ctx: StepContext, mode: KvMode, extraEnv: Record<string, string> = {}, launch?: WorkerLaunch): DynamoStep => {
  const l = launch ?? defaultLaunch(ctx, mode)
  const env = workerEnv(ctx, mode, extraEnv, l)
  const command = workerCommand(ctx, l, mode.id)
  return {
    id: 'worker-start',
    title: `Start the dynamo.${engineKind(ctx)} worker in mode ${mode.id}${l.backend ? ` (backend ${l.backend})` : ''}`,
    argv: docker(ctx) ? detachedInContainer(ctx, env, command, workerPidFile(ctx), workerLog(ctx), `worker mode ${mode.id}`) : command,
    env,
    why:
      l.backend !== null && l.backend !== 'kvbm'
        ? `The ${l.backend} backend's flags and env; every DYN_KVBM_* is explicitly unset so no KVBM leader starts.`
        : mode.id === 'B1'
          ? 'Every DYN_KVBM_* is set or explicitly unset: B1 forces DYN_KVBM_DISK_CACHE_GB=0 and unsets the disk dir, so it cannot inherit a disk tier (the prior harness ran B1 legs with the disk on).'
          : mode.id === 'B0'
            ? 'B0 unsets every DYN_KVBM_* so no KVBM leader (and no :6880 endpoint) starts.'
            : 'Every DYN_KVBM_* is set or explicitly unset, so nothing is inherited from the container or the caller; metrics on for phase deltas; DYN_KVBM_DISK_DISABLE_O_DIRECT is read by presence, so it is either 1 or unset.',
    mode: mode.id,
    longRunning: !docker(ctx),
  }
}

/** Liveness of the worker or the frontend by its pid file (docker) or pid (host). */
export const aliveStep = (ctx: StepContext, what: 'worker' | 'frontend', pid: number | null): DynamoStep => ({
  id: `${what}-alive`,
  title: `Check the ${what} is still alive`,
  argv: docker(ctx)
    ? ['docker', 'exec', c(ctx).name, 'sh', '-c', `kill -0 "$(cat ${what === 'worker' ? workerPidFile(ctx) : frontendPidFile(ctx)})"`]
    : ['kill', '-0', pid === null ? PID_PLACEHOLDER(what) : String(pid)],
  env: {},
  why: `A bad flag, engine file or busy port kills the ${what} at once; it is watched from start and reported with its log tail within seconds instead of after the readiness timeout.`,
  inProcess: !docker(ctx),
})

export const workerAliveStep = (ctx: StepContext, pid: number | null): DynamoStep => aliveStep(ctx, 'worker', pid)

export const readPidStep = (ctx: StepContext, what: 'worker' | 'frontend'): DynamoStep => ({
  id: `${what}-pid`,
  title: `Read the ${what} pid`,
  argv: ['docker', 'exec', c(ctx).name, 'cat', what === 'worker' ? workerPidFile(ctx) : frontendPidFile(ctx)],
  env: {},
  why: 'Exact pids for stop, /proc/<pid>/fd checks and IO attribution.',
})

// ── frontend ─────────────────────────────────────────────────────────────────────────────────

export const frontendCommand = (ctx: StepContext): string[] | null => {
  const { config } = ctx
  if (!docker(ctx) && config.host_process.frontend_command === null) return null
  if (!docker(ctx) && Array.isArray(config.host_process.frontend_command)) return fill(config.host_process.frontend_command, ctx)
  checkExtraArgs(ctx, 'frontend', c(ctx).frontend_extra_args)
  return [
    'python3', '-m', 'dynamo.frontend',
    '--http-host', c(ctx).http_host,
    '--http-port', String(config.ports.frontend),
    ...discoveryArgs(ctx),
    ...c(ctx).frontend_extra_args,
    '--model-name', config.model.served_name,
    '--model-path', config.model.path,
  ]
}

export const frontendStartStep = (ctx: StepContext): DynamoStep | null => {
  const command = frontendCommand(ctx)
  if (!command) return null
  // The frontend never needs KVBM settings; unset them so its env cannot confuse a reader either.
  const env: Record<string, string | undefined> = {
    ...Object.fromEntries(CONTROLLED_WORKER_ENV.map((k) => [k, undefined])),
    ...discoveryEnv(ctx),
    ...(docker(ctx) ? {} : ctx.config.host_process.env),
  }
  return {
    id: 'frontend-start',
    title: `Start the HTTP frontend on ${ctx.config.host}:${ctx.config.ports.frontend}`,
    argv: docker(ctx) ? detachedInContainer(ctx, env, command, frontendPidFile(ctx), frontendLog(ctx), 'frontend') : command,
    env,
    why: 'The OpenAI-compatible endpoint and /metrics; it discovers workers through the same store.',
    longRunning: !docker(ctx),
  }
}

// ── versions and ports ───────────────────────────────────────────────────────────────────────

export const versionsStep = (ctx: StepContext): DynamoStep => ({
  id: 'image-versions',
  title: `Read ${DYNAMO_IMAGE_PACKAGES.join(', ')} versions ${docker(ctx) ? `inside ${c(ctx).image}` : 'on the host'}`,
  argv: [...(docker(ctx) ? ['docker', 'exec', c(ctx).name] : []), 'pip', 'show', ...DYNAMO_IMAGE_PACKAGES],
  env: {},
  why: 'The command line depends on the Dynamo version (the discovery flag and the model flag were renamed for 1.0), and KVBM modes need the kvbm package (deprecated in 1.5, absent from newer images). pip exits 1 when one package is missing; the found ones still count.',
  optional: true,
})

/** Imports the kvbm module: the package can be bundled without its own pip metadata. */
export const kvbmImportStep = (ctx: StepContext): DynamoStep => ({
  id: 'kvbm-import',
  title: 'Check that the kvbm module imports',
  argv: [...(docker(ctx) ? ['docker', 'exec', c(ctx).name] : []), 'python3', '-c', 'import kvbm'],
  env: {},
  why: '`pip show kvbm` found no package; an image may still ship the module inside another wheel. Only a failed import means KVBM_UNAVAILABLE.',
  optional: true,
})

/** Ports a start needs free: `frontend` before the frontend, `worker` before a worker start. */
export const portsToCheck = (ctx: StepContext, what: 'frontend' | 'worker', launch?: WorkerLaunch): { name: string; port: number }[] => {
  const p = ctx.config.ports
  const out: { name: string; port: number }[] = []
  if (what === 'frontend') out.push({ name: 'frontend', port: p.frontend })
  else {
    if (p.system !== null) out.push({ name: 'system (DYN_SYSTEM_PORT)', port: p.system })
    if (launch?.backend === 'kvbm') {
      out.push({ name: 'KVBM metrics (DYN_KVBM_METRICS_PORT)', port: p.kvbm_metrics })
      // A custom host worker (kvsim) binds no KVBM leader sockets; Dynamo's KVBM leader does.
      if (docker(ctx) || ctx.config.host_process.worker_command === null) for (const z of p.kvbm_zmq) out.push({ name: 'KVBM leader ZMQ', port: z })
    }
  }
  return out.filter((x) => x.port > 0)
}

export const portCheckStep = (ctx: StepContext, what: 'frontend' | 'worker', launch?: WorkerLaunch, mode?: KvModeId): DynamoStep => {
  const ports = portsToCheck(ctx, what, launch)
  return {
    id: `${what}-ports-free`,
    title: `Check ports ${ports.map((x) => x.port).join(', ') || '(none)'} are free before the ${what} starts`,
    argv: ['sh', '-c', `ss -ltnpH ${ports.map((x) => `'sport = :${x.port}'`).join(' or ') || "'sport = :0'"}`],
    env: {},
    why: 'An orphaned executor of the previous mode keeps :6880 (the KVBM metrics server panics when it is busy) and the ZMQ ports; PORT_CONFLICT names the port and its holder before anything starts.',
    mode,
    inProcess: true,
  }
}

// ── readiness and verification ───────────────────────────────────────────────────────────────

export const readinessSteps = (ctx: StepContext, baseUrl: string): DynamoStep[] => [
  {
    id: 'ready-health',
    title: 'Poll /health until the frontend answers 200 (liveness only)',
    argv: ['curl', '-sS', `${baseUrl}/health`],
    env: {},
    why: 'Current Dynamo answers 200 "healthy" even with zero workers (older builds: 200 "unhealthy"), so /health proves only that the frontend is up.',
    inProcess: true,
  },
  {
    id: 'ready-models',
    title: 'Poll /v1/models until .data is non-empty',
    argv: ['curl', '-sS', `${baseUrl}/v1/models`],
    env: {},
    why: 'Registration races startup; an empty list means no worker serves the model.',
    inProcess: true,
  },
  {
    id: 'ready-probe',
    title: `Stream one completion to the end with at least one token (stall timeout ${ctx.config.timeouts.probe_stall_s} s)`,
    argv: ['curl', '-sSN', `${baseUrl}/v1/completions`, '-H', 'Content-Type: application/json', '-d',
      JSON.stringify({ model: ctx.config.model.served_name, prompt: 'Hello', max_tokens: 8, stream: true })],
    env: {},
    why: '/health can stay 200 while the engine is stuck; only a streamed answer with a token proves the stack serves (an empty stream does not).',
    inProcess: true,
  },
]

/** Lists every fd of the worker and all its descendants; exits non-zero when the worker's own fds are unreadable. */
export const workerFdsStep = (ctx: StepContext, mode: KvModeId, workerPid: number | null): DynamoStep => {
  const pidText = workerPid === null ? PID_PLACEHOLDER('worker') : String(workerPid)
  // The disk-tier file is held by TRT-LLM's executor, which may be a grandchild of the worker.
  const fdList = `${DESC_FN}; ls -l /proc/${pidText}/fd || exit 3; for c in $(desc ${pidText}); do ls -l /proc/$c/fd 2>/dev/null; done; true`
  return {
    id: 'verify-fds',
    title: `List files the worker and all its descendants hold open, looking for ${ctx.config.cache_dir}`,
    argv: docker(ctx) ? ['docker', 'exec', c(ctx).name, 'sh', '-c', fdList] : ['sh', '-c', fdList],
    env: {},
    why: 'KVBM unlinks its disk-tier file right after creating it, so only an open fd shows a disk tier (B1_DISK_TIER_ACTIVE), and the executor holding it can be any descendant.',
    mode,
    inProcess: !docker(ctx),
  }
}

export const verifyModeSteps = (ctx: StepContext, mode: KvModeId, kvbmMetricsUrl: string, workerPid: number | null): DynamoStep[] => {
  const metrics: DynamoStep = {
    id: 'verify-kvbm-metrics',
    title: `Scrape ${kvbmMetricsUrl}`,
    argv: ['curl', '-sS', kvbmMetricsUrl],
    env: {},
    why:
      mode === 'B0'
        ? 'B0 must have no KVBM endpoint: an answer means a KVBM leader runs (MODE_NOT_VERIFIED).'
        : 'KVBM must export kvbm_offload_blocks_h2d, kvbm_onboard_blocks_d2d, kvbm_matched_tokens… (KVBM_METRICS_MISSING otherwise).',
    mode,
    inProcess: true,
  }
  if (mode === 'B0') return [metrics]
  if (mode !== 'B1') return [metrics, workerFdsStep(ctx, mode, workerPid)]
  return [
    metrics,
    workerFdsStep(ctx, mode, workerPid),
    {
      id: 'verify-b1-probe-pair',
      title: 'Send the same prompt twice; disk counters must not move',
      argv: ['curl', '-sS', kvbmMetricsUrl],
      env: {},
      why: 'kvbm_offload_blocks_h2d/d2d and kvbm_onboard_blocks_d2d deltas > 0 mean the disk tier is on (B1_DISK_TIER_ACTIVE).',
      mode,
      inProcess: true,
    },
  ]
}

// ── logs, provenance, stop ───────────────────────────────────────────────────────────────────

export const logCaptureSteps = (ctx: StepContext): DynamoStep[] => {
  if (!docker(ctx)) return []
  const name = c(ctx).name
  return [
    {
      id: 'logs-docker',
      title: `Capture docker logs -t ${name}`,
      argv: ['docker', 'logs', '-t', name],
      env: {},
      why: 'Timestamped container output, aligned with the telemetry timeline.',
      optional: true,
    },
    {
      id: 'logs-worker',
      title: 'Capture the worker log',
      argv: ['docker', 'exec', name, 'cat', workerLog(ctx)],
      env: {},
      why: 'KVBM hit-rate lines, max_num_tokens errors and unregister events are only in the worker log.',
      optional: true,
    },
    {
      id: 'logs-frontend',
      title: 'Capture the frontend log',
      argv: ['docker', 'exec', name, 'cat', frontendLog(ctx)],
      env: {},
      why: 'Routing errors and model registration/deregistration.',
      optional: true,
    },
  ]
}

/** `/dev/nvme0n1p2` → `/dev/nvme0` (nvme id-ctrl wants the controller). */
export const nvmeController = (device: string): string => device.replace(/^(\/dev\/nvme\d+).*$/, '$1')

export const provenanceSteps = (ctx: StepContext): DynamoStep[] => {
  const inContainer = (argv: string[]) => (docker(ctx) ? ['docker', 'exec', c(ctx).name, ...argv] : argv)
  const nvmeDev = nvmeController(c(ctx).devices.find((d) => d.startsWith('/dev/nvme')) ?? '/dev/nvme0')
  const steps: DynamoStep[] = []
  if (docker(ctx))
    steps.push({
      id: 'prov-image',
      title: `Record the digest of ${c(ctx).image}`,
      argv: ['docker', 'image', 'inspect', '--format', '{{json .RepoDigests}} {{.Id}}', c(ctx).image],
      env: {},
      why: 'A tag moves; the digest names the exact software that produced the numbers.',
      optional: true,
    })
  steps.push(
    {
      id: 'prov-versions',
      title: 'Record ai-dynamo, engine and kvbm versions',
      argv: inContainer(['pip', 'show', ...DYNAMO_IMAGE_PACKAGES]),
      env: {},
      why: 'KVBM metric names and connector paths changed between releases.',
      optional: true,
    },
    {
      id: 'prov-gpu',
      title: 'Record the GPU and driver',
      argv: ['nvidia-smi', '-q'],
      env: {},
      why: 'GPU model and driver version belong to every published figure.',
      optional: true,
    },
    {
      id: 'prov-nvme',
      title: `Record the NVMe model and firmware (${nvmeDev})`,
      argv: ['nvme', 'id-ctrl', nvmeDev],
      env: {},
      why: 'Disk-tier figures depend on the drive and its firmware.',
      optional: true,
    },
    {
      id: 'prov-pcie',
      title: 'Record the PCIe link of the NVMe',
      argv: ['lspci', '-vv'],
      env: {},
      why: 'A Gen4 link caps reads near 7 GB/s; LnkSta shows what was negotiated.',
      optional: true,
    },
  )
  return steps
}

export const stopSteps = (ctx: StepContext, opts: { removeContainer: boolean; workerPid: number | null; frontendPid: number | null }): DynamoStep[] => {
  const steps = [stopProcessStep(ctx, 'frontend', opts.frontendPid), stopProcessStep(ctx, 'worker', opts.workerPid)]
  if (docker(ctx) && opts.removeContainer)
    steps.push({
      id: 'container-remove',
      title: `Remove container ${c(ctx).name}`,
      argv: ['docker', 'rm', '-f', c(ctx).name],
      env: {},
      why: 'The driver started it, so the driver removes it; an attached container is left running.',
      optional: true,
    })
  const d = ctx.config.discovery
  if (d.store !== 'file')
    for (const name of d.store === 'etcd-nats' ? ['tierbench-nats', 'tierbench-etcd'] : ['tierbench-etcd'])
      steps.push({
        id: `discovery-stop-${name}`,
        title: `Stop ${name}`,
        argv: ['docker', 'rm', '-f', name],
        env: {},
        why: 'Discovery daemons started by the driver are removed with it.',
        optional: true,
      })
  return steps
}

/** The steps of one mode change, in the order applyMode runs them. */
export const applyModeSteps = (
  ctx: StepContext,
  mode: KvMode,
  opts: { baseUrl: string; kvbmMetricsUrl: string; workerPid: number | null; wipeCache?: boolean; launch?: WorkerLaunch },
): DynamoStep[] => {
  const launch = opts.launch ?? defaultLaunch(ctx, mode)
  return [
    stopProcessStep(ctx, 'worker', opts.workerPid),
    portCheckStep(ctx, 'worker', launch, mode.id),
    ...(opts.wipeCache === false ? [] : [wipeCacheStep(ctx)]),
    ...(usesEngineYaml(ctx) ? [writeEngineYamlStep(ctx, mode.id, launch)] : []),
    ...backendFileSteps(ctx, mode.id, launch),
    workerStartStep(ctx, mode, {}, launch),
    ...(docker(ctx) ? [readPidStep(ctx, 'worker')] : []),
    workerAliveStep(ctx, null),
    ...readinessSteps(ctx, opts.baseUrl),
    ...(launch.backend === 'kvbm' || mode.id === 'B0' ? verifyModeSteps(ctx, mode.id, opts.kvbmMetricsUrl, null) : [workerFdsStep(ctx, mode.id, null)]),
  ]
}

/** /dev/nvidia-fs* on this host (GDS devices; none on GB10, where cuFile runs in compat mode). */
export const listNvidiaFsDevices = (): string[] => {
  try {
    return readdirSync('/dev')
      .filter((n) => n.startsWith('nvidia-fs'))
      .sort()
      .map((n) => `/dev/${n}`)
  } catch {
    return []
  }
}
