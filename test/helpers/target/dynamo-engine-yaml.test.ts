import { createHash } from 'node:crypto'
import { parse } from 'yaml'
import { describe, expect, test } from 'vitest'
import { KvModeId } from '../../../helpers/config/kv-mode'
import { DynamoConfig } from '../../../helpers/target/dynamo-config'
import { engineYaml } from '../../../helpers/target/dynamo-engine-yaml'

const engine = DynamoConfig.parse({}).engine

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
    const doc = parse(engineYaml(engine, mode).text)
    expect(doc.kv_connector_config).toEqual({
      connector_module: 'kvbm.trtllm_integration.connector',
      connector_scheduler_class: 'DynamoKVBMConnectorLeader',
      connector_worker_class: 'DynamoKVBMConnectorWorker',
    })
    expect(doc.kv_cache_config.enable_partial_reuse).toBe(false)
    expect(doc.cuda_graph_config).toBeNull()
  })

  test('the sha256 is of the exact text, and only B0 differs among the modes', () => {
    const all = KvModeId.options.map((m) => engineYaml(engine, m))
    for (const y of all) expect(y.sha256).toBe(createHash('sha256').update(y.text).digest('hex'))
    expect(new Set(all.map((y) => y.sha256)).size).toBe(2)
  })

  test('engine settings from the config reach the YAML', () => {
    const e = DynamoConfig.parse({ engine: { free_gpu_memory_fraction: 0.6, max_num_tokens: 32768, max_seq_len: 40960, tokens_per_block: 64 } }).engine
    const doc = parse(engineYaml(e, 'B2').text)
    expect(doc.max_num_tokens).toBe(32768)
    expect(doc.max_seq_len).toBe(40960)
    expect(doc.kv_cache_config).toMatchObject({ free_gpu_memory_fraction: 0.6, tokens_per_block: 64 })
  })
})
