import { readdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { KVBM_ENV_NAMES, kvModeEnv, kvModeUsesKvbm, type KvMode, type KvModeId } from '../config/kv-mode'
import type { DynamoConfig } from './dynamo-config'
import { engineYaml } from './dynamo-engine-yaml'

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
}

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

/** The mode env with the sizes from the config (`tiers.<mode>`). */
export const modeWithSizes = (config: DynamoConfig, mode: KvMode): KvMode => {
  const t = config.tiers[mode.id] ?? {}
  return {
    ...mode,
    cpuCacheGb: mode.cpuCacheGb ?? t.cpu_cache_gb,
    diskCacheGb: mode.diskCacheGb ?? t.disk_cache_gb,
    cpuCacheOverrideNumBlocks: mode.cpuCacheOverrideNumBlocks ?? t.cpu_cache_override_num_blocks,
    diskCacheOverrideNumBlocks: mode.diskCacheOverrideNumBlocks ?? t.disk_cache_override_num_blocks,
  }
}

const discoveryEnv = (ctx: StepContext): Record<string, string> => {
  const d = ctx.config.discovery
  if (d.store === 'file') return {}
  const env: Record<string, string> = { ETCD_ENDPOINTS: d.etcd_endpoints }
  if (d.store === 'etcd-nats') env.NATS_SERVER = d.nats_server
  return env
}

const storeFlag = (ctx: StepContext) => (ctx.config.discovery.store === 'file' ? 'file' : 'etcd')

/**
 * Everything the worker must see for a mode: the DYN_KVBM_* set of kvModeEnv (undefined = unset),
 * plus the leader/worker init timeout (KVBM modes only), the system port and discovery endpoints.
 */
export const workerEnv = (ctx: StepContext, mode: KvMode, extra: Record<string, string> = {}) => {
  const { config } = ctx
  const env: Record<string, string | undefined> = {
    ...kvModeEnv(modeWithSizes(config, mode), { cacheDir: config.cache_dir, metricsPort: config.ports.kvbm_metrics }),
    DYN_KVBM_LEADER_WORKER_INIT_TIMEOUT_SECS: kvModeUsesKvbm(mode.id) ? String(config.timeouts.leader_worker_init_s) : undefined,
    DYN_SYSTEM_PORT: config.ports.system === null ? undefined : String(config.ports.system),
    ...discoveryEnv(ctx),
    ...(docker(ctx) ? {} : config.host_process.env),
    ...extra,
  }
  return env
}

/** Every variable name a worker env must control, including ones a mode leaves unset. */
export const CONTROLLED_WORKER_ENV = [...KVBM_ENV_NAMES, 'DYN_KVBM_LEADER_WORKER_INIT_TIMEOUT_SECS'] as const

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
    if (!d.file_dir) return []
    const argv = ['sh', '-c', `rm -rf -- ${shQuote(d.file_dir)} && mkdir -p -- ${shQuote(d.file_dir)}`]
    return [
      {
        id: 'discovery-reset',
        title: `Clear the file discovery store ${d.file_dir}`,
        argv: docker(ctx) ? ['docker', 'exec', c(ctx).name, ...argv] : argv,
        env: {},
        why: 'Stale registrations of a dead worker would make the frontend route to nothing.',
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
export const WORKER_PATTERN = '^python3 -m dynamo\\.trtllm( |$)'
export const FRONTEND_PATTERN = '^python3 -m dynamo\\.frontend( |$)'

export const stopProcessStep = (ctx: StepContext, what: 'worker' | 'frontend', pid: number | null): DynamoStep => {
  const pidText = pid === null ? PID_PLACEHOLDER(what) : String(pid)
  const grace = ctx.config.timeouts.stop_grace_s
  if (!docker(ctx))
    return {
      id: `${what}-stop`,
      title: `Stop the ${what} (pid ${pidText}, its process group)`,
      argv: ['kill', '-TERM', `-${pidText}`],
      env: {},
      why: `By exact pid, never by name: a name pattern can match the caller. SIGKILL follows after ${grace} s.`,
      inProcess: true,
      optional: true,
    }
  const pattern = what === 'worker' ? WORKER_PATTERN : FRONTEND_PATTERN
  const pidFile = what === 'worker' ? workerPidFile(ctx) : frontendPidFile(ctx)
  // Exact pid from the pid file first; the anchored pattern catches a process started outside
  // this driver (or a pid file lost with /tmp). Then wait, then SIGKILL what is left.
  const body = [
    `p=$(cat ${pidFile} 2>/dev/null || true)`,
    `if [ -n "$p" ]; then kill -TERM "$p" 2>/dev/null || true; fi`,
    `pkill -TERM -f ${shQuote(pattern)} || true`,
    `i=0; while { [ -n "$p" ] && kill -0 "$p" 2>/dev/null; } || pgrep -f ${shQuote(pattern)} >/dev/null; do i=$((i+1)); [ $i -ge ${grace} ] && break; sleep 1; done`,
    `if [ -n "$p" ]; then kill -KILL "$p" 2>/dev/null || true; fi`,
    `pkill -KILL -f ${shQuote(pattern)} || true`,
    `rm -f ${pidFile}`,
  ].join('; ')
  return {
    id: `${what}-stop`,
    title: `Stop the ${what} (pid from ${pidFile}, then anchored pattern)`,
    argv: ['docker', 'exec', c(ctx).name, 'sh', '-c', body],
    env: {},
    why: `By exact pid, then by a pattern anchored at ^python3 that cannot match this sh -c (the prior harness's pkill matched its caller). SIGKILL after ${grace} s.`,
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

export const writeEngineYamlStep = (ctx: StepContext, mode: KvModeId): DynamoStep => {
  const y = engineYaml(ctx.config.engine, mode)
  const path = docker(ctx) ? c(ctx).engine_yaml_path : ctx.hostEngineYamlPath
  const body = `mkdir -p "$(dirname "$1")" && cat > "$1"`
  return {
    id: 'engine-yaml',
    title: `Write the ${mode} engine YAML (sha256 ${y.sha256.slice(0, 12)}) to ${path}`,
    argv: docker(ctx) ? ['docker', 'exec', '-i', c(ctx).name, 'sh', '-c', body, 'sh', path] : ['sh', '-c', body, 'sh', path],
    env: {},
    why:
      mode === 'B0'
        ? 'B0 is the same engine file without kv_connector_config, so only KVBM differs between modes.'
        : 'The KVBM connector (leader/worker classes) with enable_partial_reuse: false, as the KVBM guide requires.',
    mode,
    input: y.text,
    inProcess: !docker(ctx),
  }
}

/** argv of the worker process itself (without the docker wrapper). */
export const workerCommand = (ctx: StepContext): string[] => {
  const { config } = ctx
  if (!docker(ctx)) return fill(config.host_process.worker_command, ctx)
  return [
    'python3', '-m', 'dynamo.trtllm',
    '--model-path', config.model.path,
    '--served-model-name', config.model.served_name,
    '--endpoint', 'dyn://dynamo.tensorrt_llm.generate',
    '--extra-engine-args', c(ctx).engine_yaml_path,
    '--store-kv', storeFlag(ctx),
    ...c(ctx).worker_extra_args,
  ]
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
  argv.push(c(ctx).name, 'bash', '-c', body.replace(/ {2,}/g, ' '))
  return argv
}

export const workerStartStep = (ctx: StepContext, mode: KvMode, extraEnv: Record<string, string> = {}): DynamoStep => {
  const env = workerEnv(ctx, mode, extraEnv)
  const command = workerCommand(ctx)
  return {
    id: 'worker-start',
    title: `Start the TRT-LLM worker in mode ${mode.id}`,
    argv: docker(ctx) ? detachedInContainer(ctx, env, command, workerPidFile(ctx), workerLog(ctx), `worker mode ${mode.id}`) : command,
    env,
    why:
      mode.id === 'B1'
        ? 'Every DYN_KVBM_* is set or explicitly unset: B1 forces DYN_KVBM_DISK_CACHE_GB=0 and unsets the disk dir, so it cannot inherit a disk tier (the prior harness ran B1 legs with the disk on).'
        : mode.id === 'B0'
          ? 'B0 unsets every DYN_KVBM_* so no KVBM leader (and no :6880 endpoint) starts.'
          : 'Every DYN_KVBM_* is set or explicitly unset, so nothing is inherited from the container or the caller; metrics on for phase deltas.',
    mode: mode.id,
    longRunning: !docker(ctx),
  }
}

export const workerAliveStep = (ctx: StepContext, pid: number | null): DynamoStep => ({
  id: 'worker-alive',
  title: 'Check the worker is still alive a few seconds after start',
  argv: docker(ctx)
    ? ['docker', 'exec', c(ctx).name, 'sh', '-c', `kill -0 "$(cat ${workerPidFile(ctx)})"`]
    : ['kill', '-0', pid === null ? PID_PLACEHOLDER('worker') : String(pid)],
  env: {},
  why: 'A bad engine file or a busy port kills the worker at once; fail with the log tail instead of waiting 30 minutes for readiness.',
  inProcess: !docker(ctx),
})

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
  if (!docker(ctx)) return config.host_process.frontend_command ? fill(config.host_process.frontend_command, ctx) : null
  return [
    'python3', '-m', 'dynamo.frontend',
    '--http-host', c(ctx).http_host,
    '--http-port', String(config.ports.frontend),
    '--store-kv', storeFlag(ctx),
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

// ── readiness and verification ───────────────────────────────────────────────────────────────

export const readinessSteps = (ctx: StepContext, baseUrl: string): DynamoStep[] => [
  {
    id: 'ready-health',
    title: 'Poll /health until status is "healthy"',
    argv: ['curl', '-sS', `${baseUrl}/health`],
    env: {},
    why: 'Dynamo answers 200 with {"status":"unhealthy"} before a worker registers, so the HTTP status alone proves nothing.',
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
    title: `Stream one completion to the end (stall timeout ${ctx.config.timeouts.probe_stall_s} s)`,
    argv: ['curl', '-sSN', `${baseUrl}/v1/completions`, '-H', 'Content-Type: application/json', '-d',
      JSON.stringify({ model: ctx.config.model.served_name, prompt: 'Hello', max_tokens: 8, stream: true })],
    env: {},
    why: '/health can stay 200 while the engine is stuck; only a streamed answer proves the stack serves.',
    inProcess: true,
  },
]

/** Lists every fd of the worker and its children; exits non-zero when the worker's own fds are unreadable. */
export const workerFdsStep = (ctx: StepContext, mode: KvModeId, workerPid: number | null): DynamoStep => {
  const pidText = workerPid === null ? PID_PLACEHOLDER('worker') : String(workerPid)
  const fdList = `ls -l /proc/${pidText}/fd || exit 3; for c in $(cat /proc/${pidText}/task/*/children 2>/dev/null); do ls -l /proc/$c/fd; done; true`
  return {
    id: 'verify-b1-fds',
    title: `List files the worker holds open, looking for ${ctx.config.cache_dir}`,
    argv: docker(ctx) ? ['docker', 'exec', c(ctx).name, 'sh', '-c', fdList] : ['sh', '-c', fdList],
    env: {},
    why: 'KVBM unlinks its disk-tier file right after creating it, so only an open fd shows a disk tier (B1_DISK_TIER_ACTIVE).',
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
  if (mode !== 'B1') return [metrics]
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
      title: 'Record ai-dynamo, tensorrt_llm and kvbm versions',
      argv: inContainer(['pip', 'show', 'ai-dynamo', 'tensorrt_llm', 'kvbm']),
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
  opts: { baseUrl: string; kvbmMetricsUrl: string; workerPid: number | null; wipeCache?: boolean },
): DynamoStep[] => [
  stopProcessStep(ctx, 'worker', opts.workerPid),
  ...(opts.wipeCache === false ? [] : [wipeCacheStep(ctx)]),
  writeEngineYamlStep(ctx, mode.id),
  workerStartStep(ctx, mode),
  ...(docker(ctx) ? [readPidStep(ctx, 'worker')] : []),
  workerAliveStep(ctx, null),
  ...readinessSteps(ctx, opts.baseUrl),
  ...verifyModeSteps(ctx, mode.id, opts.kvbmMetricsUrl, null),
]

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
