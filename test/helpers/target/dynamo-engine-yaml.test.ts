import { createHash } from 'node:crypto'
import { parse } from 'yaml'
import { describe, expect, test } from 'vitest'
import { KvModeId } from '../../../helpers/config/kv-mode'
import { DynamoConfig } from '../../../helpers/target/dynamo-config'
import { engineYaml } from '../../../helpers/target/dynamo-engine-yaml'
import { b0Launch, workerLaunch, noBackends } from '../../../helpers/target/dynamo-worker-launch'

const config = DynamoConfig.parse({})
const engine = config.engine
// The KVBM fragment as the driver builds it for a mode (none in B0).
const kvbm = (mode: KvModeId) => workerLaunch(config, 'discovery-backend', { id: mode }, { lookup: noBackends }).engineYaml

describe('engineYaml', () => {
  test('B0 has no kv_connector_config and keeps partial reuse off', () => {
    const doc = parse(engineYaml(engine, 'B0').text)
    expect(doc).not.toHaveProperty('kv_connector_config')
    expect(doc).toEqual({
      backend: 'pytorch',
      cuda_graph_config: null,
      max_num_tokens: 8192,
      max_seq_len: 16384,
      max_batch_size: 8,
      kv_cache_config: { enable_partial_reuse: false, free_gpu_memory_fraction: 0.8, tokens_per_block: 32 },
    })
  })

  test.each(['B1', 'B2', 'B2p', 'B3'] as const)('%s uses the KVBM connector leader and worker classes', (mode) => {
    const doc = parse(engineYaml(engine, mode, kvbm(mode)).text)
    expect(doc.kv_connector_config).toEqual({
      connector_module: 'kvbm.trtllm_integration.connector',
      connector_scheduler_class: 'DynamoKVBMConnectorLeader',
      connector_worker_class: 'DynamoKVBMConnectorWorker',
    })
    expect(doc.kv_cache_config.enable_partial_reuse).toBe(false)
    expect(doc.cuda_graph_config).toBeNull()
  })

  test('the sha256 is of the exact text, and only B0 differs among the modes', () => {
    expect(b0Launch(config, 'discovery-backend').engineYaml).toBeNull()
    const all = KvModeId.options.map((m) => engineYaml(engine, m, kvbm(m)))
    for (const y of all) expect(y.sha256).toBe(createHash('sha256').update(y.text).digest('hex'))
    expect(new Set(all.map((y) => y.sha256)).size).toBe(2)
  })

  test('engine settings from the config reach the YAML', () => {
    const e = DynamoConfig.parse({ engine: { free_gpu_memory_fraction: 0.6, max_num_tokens: 32768, max_seq_len: 40960, tokens_per_block: 64 } }).engine
    const doc = parse(engineYaml(e, 'B2', kvbm('B2')).text)
    expect(doc.max_num_tokens).toBe(32768)
    expect(doc.max_seq_len).toBe(40960)
    expect(doc.kv_cache_config).toMatchObject({ free_gpu_memory_fraction: 0.6, tokens_per_block: 64 })
  })

  test('a backend fragment merges into kv_cache_config instead of replacing it (TRT-LLM native host tier)', () => {
    const doc = parse(engineYaml(engine, 'B1', { kv_cache_config: { host_cache_size: 8_000_000_000 } }).text)
    expect(doc.kv_cache_config).toEqual({ enable_partial_reuse: false, free_gpu_memory_fraction: 0.8, tokens_per_block: 32, host_cache_size: 8_000_000_000 })
    expect(doc).not.toHaveProperty('kv_connector_config')
  })
})
