import { readFileSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { KvModeId } from '../config/kv-mode'

// Everything the Dynamo driver needs to reproduce the Spark runbook (seed 004) as data. Keys are
// snake_case because they mirror Dynamo / TRT-LLM / docker names, so a reader can match them to
// the runbook line by line. Defaults are the runbook's Spark values.

/** An absolute directory the driver may wipe: never `/` or a top-level dir such as `/mnt`. */
const WipeableDir = z
  .string()
  .refine((p) => isAbsolute(p) && p.split('/').filter(Boolean).length >= 2, {
    message: 'Expected an absolute path at least two levels deep (the driver wipes it), got a shallower path',
  })

export const DynamoContainer = z.object({
  image: z.string().default('dgx-spark-dynamo-bench:latest'),
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/).default('dyn'),
  /** `docker run --gpus <gpus>` */
  gpus: z.string().default('all'),
  network_host: z.boolean().default(true),
  ipc_host: z.boolean().default(true),
  /** Block devices passed through (NVMe namespace and the cache partition). */
  devices: z.array(z.string()).default(['/dev/nvme0n1', '/dev/nvme0n1p2']),
  /** Pass every /dev/nvidia-fs* present on the host (GDS; absent on GB10, then nothing is added). */
  nvidia_fs_devices: z.boolean().default(true),
  memlock_unlimited: z.boolean().default(true),
  cap_add: z.array(z.string()).default(['IPC_LOCK', 'SYS_ADMIN']),
  security_opt: z.array(z.string()).default(['seccomp=unconfined', 'apparmor=unconfined']),
  /** The mount that holds the KV cache dir, host:container[:opts]. */
  cache_mount: z.string().default('/mnt/nvme:/mnt/nvme:rshared'),
  /** Extra -v mounts, host:container[:opts]; `~` and `$HOME` expand to the caller's home. */
  mounts: z
    .array(z.string())
    .default(['$HOME/.cache/huggingface/:/root/.cache/huggingface/', '/run/udev:/run/udev:ro', '/dev/disk:/dev/disk:ro']),
  /** Container-level env. DYN_KVBM_* is refused here: it would leak into every mode (prior hazard). */
  env: z
    .record(z.string(), z.string())
    .default({ CUFILE_ENV_PATH_JSON: '/etc/cufile/cufile.json' })
    .refine((env) => !Object.keys(env).some((k) => k.startsWith('DYN_KVBM_')), {
      message: 'Expected no DYN_KVBM_* in container.env (modes set them per worker), got one',
    }),
  /** Where worker/frontend logs and pid files live inside the container. */
  logs_dir: z.string().default('/tmp/bench-logs'),
  /** Where the engine YAML is written inside the container (outside the cache dir, which is wiped). */
  engine_yaml_path: z.string().default('/tmp/tierbench/kvbm_llm_api_config.yaml'),
  /** Attach to a running container of that name instead of replacing it. @default true */
  reuse_running: z.boolean().default(true),
  /** Frontend bind address; loopback keeps the benchmark endpoint off the network. */
  http_host: z.string().default('127.0.0.1'),
  /**
   * Extra frontend args. The runbook's `--exp-python-factory` is gone on 1.x (the frontend exits
   * at once), so it is refused there; see dynamo-version.ts.
   */
  frontend_extra_args: z.array(z.string()).default([]),
  /** Extra worker args (e.g. `--publish-events-and-metrics`; leave off: ZMQ port collision in the prior harness). */
  worker_extra_args: z.array(z.string()).default([]),
})
export type DynamoContainer = z.infer<typeof DynamoContainer>

export const DynamoModel = z.object({
  /** Model snapshot path as the worker sees it (inside the container for launcher docker). */
  path: z
    .string()
    .default(
      '/root/.cache/huggingface/hub/models--nvidia--Llama-3.1-8B-Instruct-FP8/snapshots/42d9515ebd69eea3a87351d079c671c3c5ff0a31',
    ),
  served_name: z.string().default('nvidia/Llama-3.1-8B-Instruct-FP8'),
})
export type DynamoModel = z.infer<typeof DynamoModel>

export const DynamoDiscovery = z.object({
  /** `file` needs no daemon (the prior harness's choice); `etcd` and `etcd-nats` start containers. */
  store: z.enum(['file', 'etcd', 'etcd-nats']).default('file'),
  /**
   * File store directory (passed as DYN_FILE_KV), cleared at start so stale registrations of a dead
   * worker cannot linger. null: `/tmp/tierbench/dynamo-store` in the container, `<scratch>/dynamo-store` on the host.
   */
  file_dir: z.string().nullable().default(null),
  etcd_image: z.string().default('quay.io/coreos/etcd:v3.5.17'),
  etcd_endpoints: z.string().default('http://127.0.0.1:2379'),
  nats_image: z.string().default('nats:2.10-alpine'),
  nats_server: z.string().default('nats://127.0.0.1:4222'),
})
export type DynamoDiscovery = z.infer<typeof DynamoDiscovery>

export const DynamoPorts = z.object({
  /** Frontend HTTP (OpenAI API, /health, /metrics). */
  frontend: z.number().int().min(0).max(65535).default(8000),
  /** DYN_KVBM_METRICS_PORT (KVBM leader's Prometheus endpoint). */
  kvbm_metrics: z.number().int().min(0).max(65535).default(6880),
  /** DYN_SYSTEM_PORT (worker health/metrics); null leaves it disabled. */
  system: z.number().int().min(1).max(65535).nullable().default(8081),
  /**
   * KVBM leader ZMQ ports (DYN_KVBM_LEADER_ZMQ_PUB_PORT / _ACK_PORT for rank 0). Checked free before
   * every KVBM worker start: an orphaned executor of the previous mode keeps them (and 6880) bound.
   */
  kvbm_zmq: z.array(z.number().int().min(1).max(65535)).default([56001, 56002]),
})
export type DynamoPorts = z.infer<typeof DynamoPorts>

export const DynamoEngine = z.object({
  free_gpu_memory_fraction: z.number().gt(0).lte(1).default(0.8),
  /** TRT-LLM max_num_tokens: the prior Spark engine was 8192, and larger prompts unregistered the worker. */
  max_num_tokens: z.number().int().positive().default(8192),
  max_seq_len: z.number().int().positive().default(16384),
  max_batch_size: z.number().int().positive().default(8),
  tokens_per_block: z.number().int().positive().default(32),
  /** Largest prompt accepted; defaults to min(max_num_tokens, max_seq_len). */
  max_input_tokens: z.number().int().positive().nullable().default(null),
})
export type DynamoEngine = z.infer<typeof DynamoEngine>

export const DynamoTierSizes = z.object({
  cpu_cache_gb: z.number().nonnegative().optional(),
  disk_cache_gb: z.number().nonnegative().optional(),
  cpu_cache_override_num_blocks: z.number().int().positive().optional(),
  disk_cache_override_num_blocks: z.number().int().positive().optional(),
})
export type DynamoTierSizes = z.infer<typeof DynamoTierSizes>

export const DynamoTimeouts = z.object({
  /** DYN_KVBM_LEADER_WORKER_INIT_TIMEOUT_SECS: large tiers take long to register (pinning, fallocate). */
  leader_worker_init_s: z.number().int().positive().default(1800),
  /** How long applyMode waits for readiness after a worker start. */
  ready_s: z.number().positive().default(1800),
  /** A probe stream that sends nothing for this long is STALLED (/health can stay 200 while stuck). */
  probe_stall_s: z.number().positive().default(120),
  /** Grace between SIGTERM and SIGKILL when stopping a worker or frontend. */
  stop_grace_s: z.number().positive().default(20),
  /** One docker/nvme/pip command. */
  command_s: z.number().positive().default(120),
})
export type DynamoTimeouts = z.infer<typeof DynamoTimeouts>

export const DynamoHost = z.object({
  /**
   * Worker command template for launcher `host` (kvsim in tests, or a custom wrapper); null runs the
   * same version- and engine-aware `python3 -m dynamo.<engine> …` the docker launcher runs. Placeholders:
   * {model_path} {served_name} {engine_yaml} {frontend_port} {kvbm_metrics_port} {store} {cache_dir}.
   */
  worker_command: z.array(z.string()).nullable().default(null),
  /** Frontend command template; `auto` = the generated `python3 -m dynamo.frontend …`; null when the worker serves HTTP itself (kvsim). */
  frontend_command: z.union([z.literal('auto'), z.array(z.string())]).nullable().default('auto'),
  /** Where the engine YAML is written on the host (default: under the driver's scratch dir). */
  engine_yaml_path: z.string().nullable().default(null),
  /** Take base/KVBM URLs from a JSON line the worker prints first (kvsim's `{url, kvbmMetricsUrl…}`). */
  announce_json: z.boolean().default(false),
  /** Extra env for the host processes (DYN_KVBM_* refused for the same reason as container.env). */
  env: z
    .record(z.string(), z.string())
    .default({})
    .refine((env) => !Object.keys(env).some((k) => k.startsWith('DYN_KVBM_')), {
      message: 'Expected no DYN_KVBM_* in host.env (modes set them per worker), got one',
    }),
})
export type DynamoHost = z.infer<typeof DynamoHost>

export const DynamoEngineKind = z.enum(['trtllm', 'vllm', 'sglang'])
export type DynamoEngineKind = z.infer<typeof DynamoEngineKind>

export const DynamoBackendName = z.enum(['kvbm', 'vllm-offload', 'lmcache', 'sglang-hicache', 'trtllm-native'])
export type DynamoBackendName = z.infer<typeof DynamoBackendName>

export const DynamoWorker = z.object({
  /** The Dynamo worker: `python3 -m dynamo.<engine>`. */
  engine: DynamoEngineKind.default('trtllm'),
  /** Tiering backend for B1..B3; null = the engine's default (KVBM for TRT-LLM and vLLM, HiCache for SGLang). */
  backend: DynamoBackendName.nullable().default(null),
})
export type DynamoWorker = z.infer<typeof DynamoWorker>

export const DynamoConfig = z.object({
  launcher: z.enum(['docker', 'host']).default('docker'),
  /**
   * `auto` reads ai-dynamo's version inside the image before anything starts and picks the command
   * line from it; a version (`1.6`, `0.8.1`) pins it (e.g. for `tierbench plan`).
   */
  dynamo_version: z.string().default('auto'),
  worker: DynamoWorker.default(DynamoWorker.parse({})),
  /**
   * KVBM opens its disk tier with O_DIRECT unless DYN_KVBM_DISK_DISABLE_O_DIRECT is present (any
   * value, even `false`): true leaves it unset, false sets it to 1. Never written as `false`.
   */
  kvbm_disk_o_direct: z.boolean().default(true),
  /** HTTP host the harness talks to; loopback only (network rule of the project). */
  host: z.literal('127.0.0.1').default('127.0.0.1'),
  container: DynamoContainer.default(DynamoContainer.parse({})),
  model: DynamoModel.default(DynamoModel.parse({})),
  discovery: DynamoDiscovery.default(DynamoDiscovery.parse({})),
  ports: DynamoPorts.default(DynamoPorts.parse({})),
  engine: DynamoEngine.default(DynamoEngine.parse({})),
  /** Per-mode tier sizes; unset fields fall back to kv-mode defaults (8 GB host, 32 GB disk). */
  tiers: z.partialRecord(KvModeId, DynamoTierSizes).default({}),
  /** KVBM disk cache dir (DYN_KVBM_DISK_CACHE_DIR), wiped before every worker start. */
  cache_dir: WipeableDir.default('/mnt/nvme/kvbm'),
  timeouts: DynamoTimeouts.default(DynamoTimeouts.parse({})),
  host_process: DynamoHost.default(DynamoHost.parse({})),
})
export type DynamoConfig = z.infer<typeof DynamoConfig>

/** Parses a target YAML (configs/targets/dynamo-*.yaml); errors name the file and the field. */
export const loadDynamoConfig = (file: string): DynamoConfig => {
  let raw: unknown
  try {
    raw = parseYaml(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new Error(`Expected a readable YAML file at ${file}, got ${(err as Error).message}`)
  }
  const body = raw && typeof raw === 'object' && 'dynamo' in raw ? (raw as { dynamo: unknown }).dynamo : raw
  return parseDynamoConfig(body ?? {}, file)
}

/** Validates a `target.dynamo` record; every problem is listed with its field path. */
export const parseDynamoConfig = (raw: unknown, where = 'target.dynamo'): DynamoConfig => {
  const parsed = DynamoConfig.safeParse(raw ?? {})
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
    throw new Error(`Expected a valid Dynamo target config in ${where}, got ${issues}`)
  }
  return parsed.data
}

/** The largest prompt in tokens the engine accepts (the client preflight refuses larger ones). */
export const dynamoMaxInputTokens = (engine: DynamoEngine): number =>
  engine.max_input_tokens ?? Math.min(engine.max_num_tokens, engine.max_seq_len)
