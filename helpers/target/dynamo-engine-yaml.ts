import { createHash } from 'node:crypto'
import { stringify } from 'yaml'
import type { KvModeId } from '../config/kv-mode'
import type { DynamoEngine } from './dynamo-config'
import { KVBM_TRTLLM_CONNECTOR } from './dynamo-worker-launch'

// The TRT-LLM `--extra-engine-args` file per mode, following NVIDIA's KVBM guide rather than the
// prior Spark harness (which turned partial reuse on): KVBM's TRT-LLM leader refuses to match when
// computed tokens are not block-aligned, so partial reuse must be off. B0 is the same file without
// the backend's fragment (KVBM's kv_connector_config, TRT-LLM native's kv_cache_config host tier),
// so the modes differ only in the tiering layer.

/** @deprecated kept for callers of the old name; the connector lives in dynamo-worker-launch.ts. */
export const KVBM_CONNECTOR = KVBM_TRTLLM_CONNECTOR

export interface EngineYaml {
  mode: KvModeId
  /** The document as an object (what was serialized). */
  doc: Record<string, unknown>
  text: string
  sha256: string
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v)

/** Deep merge of plain objects; `extra` wins. */
const merge = (base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(extra)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k], v) : v
  return out
}

export const engineYamlDoc = (engine: DynamoEngine, mode: KvModeId, fragment: Record<string, unknown> | null = null): Record<string, unknown> => {
  const doc: Record<string, unknown> = {
    backend: 'pytorch',
    // CUDA graphs are not supported with the KVBM connector (older guide); keep B0 identical.
    cuda_graph_config: null,
    max_num_tokens: engine.max_num_tokens,
    max_seq_len: engine.max_seq_len,
    max_batch_size: engine.max_batch_size,
    kv_cache_config: {
      enable_partial_reuse: false,
      free_gpu_memory_fraction: engine.free_gpu_memory_fraction,
      tokens_per_block: engine.tokens_per_block,
    },
  }
  return fragment ? merge(doc, fragment) : doc
}

/** The engine YAML text for a mode (plus its backend's fragment) and its sha256 (recorded in provenance). */
export const engineYaml = (engine: DynamoEngine, mode: KvModeId, fragment: Record<string, unknown> | null = null): EngineYaml => {
  const doc = engineYamlDoc(engine, mode, fragment)
  const text = stringify(doc, { nullStr: 'null' })
  return { mode, doc, text, sha256: createHash('sha256').update(text).digest('hex') }
}
