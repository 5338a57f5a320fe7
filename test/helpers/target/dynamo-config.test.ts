import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, test } from 'vitest'
import { DynamoConfig, dynamoMaxInputTokens, loadDynamoConfig, parseDynamoConfig } from '../../../helpers/target/dynamo-config'

const withYaml = (text: string, fn: (file: string) => void) => {
  const dir = mkdtempSync(join(tmpdir(), 'tierbench-dynamo-config-'))
  try {
    const file = join(dir, 't.yaml')
    writeFileSync(file, text)
    fn(file)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('DynamoConfig', () => {
  test('the Spark target file parses with the runbook defaults', () => {
    const c = loadDynamoConfig(resolve(__dirname, '../../../configs/targets/dynamo-spark.yaml'))
    expect(c.launcher).toBe('docker')
    expect(c.container).toMatchObject({ name: 'dyn', gpus: 'all', network_host: true, ipc_host: true, cap_add: ['IPC_LOCK', 'SYS_ADMIN'] })
    expect(c.ports).toEqual({ frontend: 8000, kvbm_metrics: 6880, system: 8081, kvbm_zmq: [56001, 56002] })
    expect(c.dynamo_version).toBe('auto')
    expect(c.worker).toEqual({ engine: 'trtllm', backend: null })
    expect(c.kvbm_disk_o_direct).toBe(true)
    expect(c.container.frontend_extra_args).toEqual([])
    expect(c.discovery.store).toBe('file')
    expect(c.timeouts.leader_worker_init_s).toBe(1800)
    expect(c.cache_dir).toBe('/mnt/nvme/kvbm')
    expect(c.tiers.B2).toEqual({ cpu_cache_gb: 8, disk_cache_gb: 32 })
  })

  test('an empty document gives the same defaults as the Spark file', () => {
    const fromFile = loadDynamoConfig(resolve(__dirname, '../../../configs/targets/dynamo-spark.yaml'))
    const defaults = DynamoConfig.parse({})
    expect({ ...defaults, tiers: fromFile.tiers }).toEqual(fromFile)
  })

  test('DYN_KVBM_* in the container env is refused, because it would leak into every mode', () => {
    withYaml('kind: dynamo\ndynamo:\n  container:\n    env: { DYN_KVBM_DISK_CACHE_GB: "32" }\n', (file) => {
      expect(() => loadDynamoConfig(file)).toThrow(/container\.env: Expected no DYN_KVBM_\*/)
    })
  })

  test('a cache dir the driver could not safely wipe is refused with the field named', () => {
    withYaml('cache_dir: /mnt\n', (file) => expect(() => loadDynamoConfig(file)).toThrow(/cache_dir: Expected an absolute path at least two levels deep/))
    withYaml('cache_dir: relative/dir\n', (file) => expect(() => loadDynamoConfig(file)).toThrow(/cache_dir/))
  })

  test('an unknown launcher is refused with the allowed values', () => {
    withYaml('launcher: podman\n', (file) => expect(() => loadDynamoConfig(file)).toThrow(/launcher:.*docker.*host/))
  })

  test('maxInputTokens is min(max_num_tokens, max_seq_len) unless set explicitly', () => {
    expect(dynamoMaxInputTokens(DynamoConfig.parse({}).engine)).toBe(8192)
    expect(dynamoMaxInputTokens(DynamoConfig.parse({ engine: { max_num_tokens: 32768, max_seq_len: 16384 } }).engine)).toBe(16384)
    expect(dynamoMaxInputTokens(DynamoConfig.parse({ engine: { max_input_tokens: 6000 } }).engine)).toBe(6000)
  })
})

describe('parseDynamoConfig', () => {
  test('lists every bad field with its path and where it came from', () => {
    expect(() => parseDynamoConfig({ ports: { frontend: 70000 }, engine: { free_gpu_memory_fraction: 2 } }, 'target.dynamo')).toThrow(
      /Expected a valid Dynamo target config in target\.dynamo, got ports\.frontend: .*; engine\.free_gpu_memory_fraction: /,
    )
  })
})
