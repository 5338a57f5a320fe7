import type { TargetKindId } from './target-config'

// The public environment contract. Each variable names the config path it sets, so precedence is
// uniform (an env var is just the top layer) and docs/configuration.md can list them from here.

export interface EnvVarSpec {
  name: string
  /** Dotted config path the variable sets; null for TIERBENCH_CONFIG (it names a layer, not a value). */
  path: string | null
  type: 'string' | 'number'
  /** Only applies to these target kinds; ignored with a warning otherwise. */
  targetKinds?: readonly TargetKindId[]
  default: string
  description: string
}

/** TIERBENCH_* names the harness sets or reads itself (not settings): never reported as unknown. */
export const HARNESS_ENV_NAMES: readonly string[] = [
  'TIERBENCH_RUN_DIR', 'TIERBENCH_RUN_ID', 'TIERBENCH_FAKE_LOG', 'TIERBENCH_NO_INSTALL', 'TIERBENCH_TEST_PROJECTS',
  'TIERBENCH_FIO_DIR', 'TIERBENCH_FIO_SIZE', 'TIERBENCH_FIO_RUNTIME', 'TIERBENCH_REPORT_WORKERS', 'TIERBENCH_DYNAMO_CONFIG',
]

export const ENV_VARS: readonly EnvVarSpec[] = [
  { name: 'TIERBENCH_TARGET', path: 'target.kind', type: 'string', default: 'emulator', description: 'emulator | external | llamacpp | vllm | sglang | dynamo' },
  { name: 'TIERBENCH_BASE_URL', path: 'target.base_url', type: 'string', targetKinds: ['external'], default: '(required for external)', description: 'OpenAI-compatible base URL, e.g. http://127.0.0.1:8000' },
  { name: 'TIERBENCH_MODEL', path: 'target.model', type: 'string', targetKinds: ['external', 'vllm', 'sglang'], default: '(required for external, vllm, sglang)', description: 'external: served model name sent in requests; vllm/sglang: model path or Hugging Face id the server loads' },
  { name: 'TIERBENCH_DECLARED_MODE', path: 'target.declared_mode', type: 'string', targetKinds: ['external'], default: 'B0 (assumed, not verified)', description: 'KV mode the external stack runs in: B0 | B1 | B2 | B2p | B3' },
  { name: 'TIERBENCH_KVBM_METRICS_URL', path: 'target.kvbm_metrics_url', type: 'string', targetKinds: ['external', 'dynamo'], default: '(none)', description: 'KVBM Prometheus endpoint, e.g. http://127.0.0.1:6880/metrics' },
  { name: 'TIERBENCH_BACKEND', path: 'target.backend', type: 'string', targetKinds: ['emulator', 'external', 'vllm', 'sglang'], default: 'kvbm (vllm: vllm-offload; sglang: sglang-hicache)', description: 'tiering backend: kvbm | vllm-offload | lmcache | sglang-hicache | trtllm-native | llamacpp (kvsim speaks its metric dialect; vllm: vllm-offload | lmcache | kvbm)' },
  { name: 'TIERBENCH_CACHE_DIR', path: 'target.cache_dir', type: 'string', targetKinds: ['external', 'vllm', 'sglang'], default: '(none; vllm/sglang: the scratch dir)', description: "external: the server's disk-tier directory on this host (open-file and OS evidence); vllm/sglang: where each mode's wiped disk-tier dir is created" },
  { name: 'TIERBENCH_VLLM_BIN', path: 'target.binary', type: 'string', targetKinds: ['vllm'], default: 'vllm', description: 'vLLM CLI (`vllm serve`), on the host or inside the image' },
  { name: 'TIERBENCH_SGLANG_PYTHON', path: 'target.python', type: 'string', targetKinds: ['sglang'], default: 'python3', description: 'Python with sglang installed (`python -m sglang.launch_server`), on the host or inside the image' },
  { name: 'TIERBENCH_SERVER_RUNTIME', path: 'target.runtime', type: 'string', targetKinds: ['vllm', 'sglang'], default: 'host', description: 'host | docker: run the vllm/sglang server on the host or with `docker run`' },
  { name: 'TIERBENCH_SERVER_IMAGE', path: 'target.image', type: 'string', targetKinds: ['vllm', 'sglang'], default: '(required for runtime docker)', description: 'container image of the vllm/sglang server (runtime docker)' },
  { name: 'TIERBENCH_LLAMA_SERVER_BIN', path: 'target.binary', type: 'string', targetKinds: ['llamacpp'], default: '(required for llamacpp)', description: 'path to llama.cpp llama-server' },
  { name: 'TIERBENCH_LLAMA_MODEL', path: 'target.model_path', type: 'string', targetKinds: ['llamacpp'], default: '(required for llamacpp)', description: 'GGUF model file llama-server loads' },
  { name: 'TIERBENCH_EMULATOR_PROFILE', path: 'target.profile', type: 'string', targetKinds: ['emulator'], default: 'tiny (smoke) / llama31-8b-fp8 (full)', description: 'kvsim profile = a configs/models/ id' },
  { name: 'TIERBENCH_EMULATOR_FAULTS', path: 'target.faults', type: 'string', targetKinds: ['emulator'], default: '(none)', description: 'kvsim fault spec' },
  { name: 'TIERBENCH_PROFILE', path: 'profile', type: 'string', default: 'smoke', description: 'run profile: smoke | full' },
  { name: 'TIERBENCH_MODEL_SPEC', path: 'model', type: 'string', default: 'emulator profile, else llama31-8b-fp8', description: 'model spec id (configs/models/<id>.yaml): tokenizer, template, KV bytes' },
  { name: 'TIERBENCH_DATASET', path: 'dataset', type: 'string', default: 'S', description: 'dataset tier: S | L' },
  { name: 'TIERBENCH_SLO', path: 'slo', type: 'string', default: "the model's slo", description: 'SLO preset id (configs/slo/<id>.yaml)' },
  { name: 'TIERBENCH_RESULTS_DIR', path: 'results_dir', type: 'string', default: 'results', description: 'where run bundles go (relative to the working directory)' },
  { name: 'TIERBENCH_SCRATCH_DIR', path: 'scratch_dir', type: 'string', default: '<results_dir>/.scratch', description: 'scratch space (KV cache dirs, fio files); a per-run directory inside it is removed on every exit' },
  { name: 'TIERBENCH_SEED', path: 'seed', type: 'number', default: '1337', description: 'seed of every workload' },
  { name: 'TIERBENCH_TELEMETRY_CADENCE_MS', path: 'telemetry.cadence_ms', type: 'number', default: '200', description: 'telemetry sampling period, ms' },
  { name: 'TIERBENCH_TRACE', path: 'trace.path', type: 'string', default: 'fixtures/traces/mooncake-conversation.jsonl.gz', description: 'Mooncake-format trace (JSONL or .jsonl.gz) the trace-replay suite replays and analyses' },
  { name: 'TIERBENCH_CONFIG', path: null, type: 'string', default: '(none)', description: 'extra YAML file layered over configs/tierbench.yaml' },
]
