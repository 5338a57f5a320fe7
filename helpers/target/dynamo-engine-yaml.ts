import { createHash } from 'node:crypto'
import { stringify } from 'yaml'
import { kvModeUsesKvbm, type KvModeId } from '../config/kv-mode'
import type { DynamoEngine } from './dynamo-config'

// The TRT-LLM `--extra-engine-args` file per mode, following NVIDIA's KVBM guide rather than the
// prior Spark harness (which turned partial reuse on): KVBM's TRT-LLM leader refuses to match when
// computed tokens are not block-aligned, so partial reuse must be off. B0 is the same file without
// kv_connector_config, so B0 and B1..B3 differ only in the connector.

export const KVBM_CONNECTOR = {
  connector_module: 'kvbm.trtllm_integration.connector',
  connector_scheduler_class: 'DynamoKVBMConnectorLeader',
  connector_worker_class: 'DynamoKVBMConnectorWorker',
} as const

export interface EngineYaml {
  mode: KvModeId
  /** The document as an object (what was serialized). */
  doc: Record<string, unknown>
  text: string
  sha256: string
}

export const engineYamlDoc = (engine: DynamoEngine, mode: KvModeId): Record<string, unknown> => {
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
  if (kvModeUsesKvbm(mode)) doc.kv_connector_config = { ...KVBM_CONNECTOR }
  return doc
}

/** The engine YAML text for a mode and its sha256 (recorded in provenance). */
export const engineYaml = (engine: DynamoEngine, mode: KvModeId): EngineYaml => {
  const doc = engineYamlDoc(engine, mode)
  const text = stringify(doc, { nullStr: 'null' })
  return { mode, doc, text, sha256: createHash('sha256').update(text).digest('hex') }
}
