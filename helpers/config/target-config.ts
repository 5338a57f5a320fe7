import { z } from 'zod'
import { parseFaults } from '../../emulator/faults'
import { KvModeId } from './kv-mode'

// Which serving stack a run talks to. The emulator is the default so every suite runs anywhere;
// external attaches to any OpenAI-compatible URL; llamacpp, vllm and sglang start a server per mode;
// dynamo drives the Spark runbook.

/** The tiering backend a stack runs (helpers/backends/backend-registry.ts): its config map, verification and metric dialect. */
export const TieringBackendId = z.enum(['kvbm', 'vllm-offload', 'lmcache', 'sglang-hicache', 'trtllm-native', 'llamacpp'])
export type TieringBackendId = z.infer<typeof TieringBackendId>

const HttpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL such as http://127.0.0.1:8000' })

/** Emulator tier sizes in blocks; unset means the emulator profile's own size. */
export const EmulatorTierOverrides = z.strictObject({
  g1_blocks: z.int().positive().optional(),
  g2_blocks: z.int().positive().optional(),
  g3_blocks: z.int().positive().optional(),
  /** Write G3 blocks with O_DIRECT when the filesystem allows it. @default true */
  o_direct: z.boolean().optional(),
})
export type EmulatorTierOverrides = z.infer<typeof EmulatorTierOverrides>

export const EmulatorTargetConfig = z.strictObject({
  kind: z.literal('emulator'),
  /** kvsim profile; names match configs/models/*.yaml. */
  profile: z.string().min(1).default('tiny'),
  /** kvsim fault spec (`--faults`), e.g. `slow_disk:5,corrupt_disk:0.01`; empty = none. Checked here, before kvsim starts. */
  faults: z
    .string()
    .default('')
    .superRefine((spec, ctx) => {
      try {
        parseFaults(spec)
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `a kvsim fault spec such as slow_disk:5,corrupt_disk:0.01 (${(err as Error).message})`, input: spec })
      }
    }),
  /** Multiplier on modelled time (0.05 = 20x faster than the modelled GB10). */
  time_scale: z.number().positive().default(1),
  /**
   * Multiplier on bytes written per G3 block. The emulator target never uses more than time_scale,
   * so modeled compute and real IO shrink together and the recompute-vs-load ratio of the real
   * stack is kept (otherwise a 20x faster compute model would make every disk read look slow).
   */
  io_scale: z.number().positive().max(1).default(1),
  tiers: EmulatorTierOverrides.default({}),
  /** 0 = pick a free port on 127.0.0.1. */
  port: z.int().min(0).max(65535).default(0),
  /** Metric dialect kvsim speaks on its tier-metrics port (`kvsim --backend`), normalised by that backend. @default 'kvbm' */
  backend: TieringBackendId.default('kvbm'),
})
export type EmulatorTargetConfig = z.infer<typeof EmulatorTargetConfig>

export const ExternalTargetConfig = z.strictObject({
  kind: z.literal('external'),
  base_url: HttpUrl,
  /** Served model name sent in every request. */
  model: z.string().min(1),
  /** The tiering backend's metrics endpoint (KVBM :6880, or the engine's /metrics for vLLM, LMCache, SGLang, …). */
  kvbm_metrics_url: HttpUrl.optional(),
  frontend_metrics_url: HttpUrl.optional(),
  /** Which tiering backend the server runs: how its metrics are normalised and its mode verified. @default 'kvbm' */
  backend: TieringBackendId.default('kvbm'),
  /** The server's disk-tier directory on this host, for open-file and OS evidence (optional). */
  cache_dir: z.string().min(1).optional(),
  /** The mode the operator says the stack runs in; verified from /metrics where possible. Unset: B0 assumed (B0-only suites run; other modes are not applicable). */
  declared_mode: KvModeId.optional(),
  health_style: z.enum(['dynamo', 'http-status']).default('http-status'),
  health_path: z.string().startsWith('/').default('/health'),
  max_input_tokens: z.int().positive().optional(),
  /** Serving-stack processes for IO attribution (or a pattern matched against /proc/<pid>/cmdline). */
  pids: z.array(z.int().positive()).optional(),
  process_pattern: z.string().min(1).optional(),
  /** Reuse connections between requests. Servers that close after each streamed response (llama.cpp) run cleaner with false. @default true */
  keep_alive: z.boolean().default(true),
  /**
   * The server's KV tier capacities in tokens, as its operator knows them (a server we do not start
   * cannot be sized): suites size their working sets from these; unset = unknown (not checked).
   */
  tiers: z
    .strictObject({
      device_kv_tokens: z.int().positive().optional(),
      host_tier_tokens: z.int().nonnegative().optional(),
      disk_tier_tokens: z.int().nonnegative().optional(),
    })
    .optional(),
})
export type ExternalTargetConfig = z.infer<typeof ExternalTargetConfig>

/** llama.cpp's llama-server started by tierbench (B0 = --cache-ram 0, B1 = --cache-ram N). */
export const LlamacppTargetConfig = z.strictObject({
  kind: z.literal('llamacpp'),
  /** Path to llama-server (TIERBENCH_LLAMA_SERVER_BIN). */
  binary: z.string().min(1, 'a path to llama-server (set TIERBENCH_LLAMA_SERVER_BIN)'),
  /** GGUF model file (TIERBENCH_LLAMA_MODEL). */
  model_path: z.string().min(1, 'a path to a .gguf model (set TIERBENCH_LLAMA_MODEL)'),
  /** Served name (--alias); default: the file name without .gguf. */
  alias: z.string().min(1).optional(),
  ctx_size: z.int().positive().default(32768),
  parallel: z.int().positive().default(4),
  threads: z.int().positive().default(1),
  /** Host prompt cache in B1, MiB; default llama-server's 8192. */
  cache_ram_mib: z.int().positive().optional(),
  extra_args: z.array(z.string()).default([]),
  /** llama-server closes the connection after a streamed response: keep-alive off by default. */
  keep_alive: z.boolean().default(false),
})
export type LlamacppTargetConfig = z.infer<typeof LlamacppTargetConfig>

// vLLM or SGLang started by tierbench without Dynamo (helpers/target/standalone.ts): every mode is a
// fresh server with a wiped disk-tier dir, verified through the tiering backend's metrics.
const standaloneFields = {
  /** `host`: the engine's CLI on this machine; `docker`: `docker run` of `image` with host networking. @default 'host' */
  runtime: z.enum(['host', 'docker']).default('host'),
  /** Model path or Hugging Face id the server loads (TIERBENCH_MODEL). */
  model: z.string().min(1, 'a model path or Hugging Face id (set TIERBENCH_MODEL)'),
  /** Name the server answers to (--served-model-name); default: `model`. */
  served_model_name: z.string().min(1).optional(),
  /** Server port on 127.0.0.1; 0 = a free port per start. */
  port: z.int().min(0).max(65535).default(0),
  /** A tier-metrics port apart from the server's /metrics (KVBM's DYN_KVBM_METRICS_PORT); 0 = a free port. Default: the server's /metrics (kvbm: a free port). */
  metrics_port: z.int().min(0).max(65535).optional(),
  /** Container image (runtime docker; TIERBENCH_SERVER_IMAGE). */
  image: z.string().min(1).optional(),
  /** Host directories the container sees at the same path (the model, a cache volume); the disk-tier dir is always mounted. */
  mounts: z.array(z.string().min(1)).default([]),
  /** Server flags appended after tierbench's own. */
  extra_args: z.array(z.string()).default([]),
  /** Directory under which each mode's disk-tier dir is created and wiped (TIERBENCH_CACHE_DIR); default: the scratch dir. */
  cache_dir: z.string().min(1).optional(),
  max_input_tokens: z.int().positive().optional(),
  /** Model load can take minutes. @default 900 */
  ready_timeout_s: z.number().positive().default(900),
  stop_grace_s: z.number().positive().default(30),
  keep_alive: z.boolean().default(true),
}

const imageForDocker = (t: { runtime: string; image?: string }, ctx: z.RefinementCtx) => {
  if (t.runtime === 'docker' && !t.image)
    ctx.addIssue({ code: 'custom', path: ['image'], message: 'a container image for runtime docker (set TIERBENCH_SERVER_IMAGE or target.image)', input: t.image })
}

/** `vllm serve` (TIERBENCH_TARGET=vllm); TIERBENCH_BACKEND picks the tiering backend. */
export const VllmTargetConfig = z
  .strictObject({
    kind: z.literal('vllm'),
    /** vLLM CLI (TIERBENCH_VLLM_BIN): on the host, or inside the image. @default 'vllm' */
    binary: z.string().min(1).default('vllm'),
    backend: z.enum(['vllm-offload', 'lmcache', 'kvbm']).default('vllm-offload'),
    ...standaloneFields,
  })
  .superRefine(imageForDocker)
export type VllmTargetConfig = z.infer<typeof VllmTargetConfig>

/** `python -m sglang.launch_server` with HiCache (TIERBENCH_TARGET=sglang). */
export const SglangTargetConfig = z
  .strictObject({
    kind: z.literal('sglang'),
    /** Python with sglang installed (TIERBENCH_SGLANG_PYTHON): on the host, or inside the image. @default 'python3' */
    python: z.string().min(1).default('python3'),
    backend: z.enum(['sglang-hicache']).default('sglang-hicache'),
    ...standaloneFields,
  })
  .superRefine(imageForDocker)
export type SglangTargetConfig = z.infer<typeof SglangTargetConfig>

export const DynamoTargetConfig = z.strictObject({
  kind: z.literal('dynamo'),
  kvbm_metrics_url: HttpUrl.optional(),
  /** Open slot: its schema is DynamoConfig in helpers/target/dynamo-config.ts, checked by that driver. */
  dynamo: z.record(z.string(), z.unknown()).default({}),
})
export type DynamoTargetConfig = z.infer<typeof DynamoTargetConfig>

export const TargetConfig = z.discriminatedUnion('kind', [EmulatorTargetConfig, ExternalTargetConfig, LlamacppTargetConfig, VllmTargetConfig, SglangTargetConfig, DynamoTargetConfig])
export type TargetConfig = z.infer<typeof TargetConfig>

export const TargetKindId = z.enum(['emulator', 'external', 'llamacpp', 'vllm', 'sglang', 'dynamo'])
export type TargetKindId = z.infer<typeof TargetKindId>
