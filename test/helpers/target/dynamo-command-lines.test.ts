import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { KvModeId } from '../../../helpers/config/kv-mode'
import type { BackendName } from '../../../helpers/backends/tiering-backend'
import type { DynamoEngineKind } from '../../../helpers/target/dynamo-config'
import { startDynamoDouble, type DynamoDouble } from './dynamo-http-double'
import { frontendStart, hicacheStandIn, makeFakeDockerTarget, MODEL, workerStart, type FakeDockerSetup } from './dynamo-fake-docker'

// The exact worker and frontend command lines and env the driver runs, read back from the
// recording fake `docker`, for a 0.8-era image and a 1.6 runtime image (the versions come from
// `pip show` inside the fake image), for each engine, in B0, B1 and B2. The flags follow
// ai-dynamo/dynamo source (dynamo-kvbm.md §8; the argument groups in components/src/dynamo/): --store-kv became
// --discovery-backend, --model-path became --model (SGLang keeps its own --model-path), vLLM's
// KVBM connector moved from --connector to --kv-transfer-config, and no --exp-python-factory.

const MP = '/root/.cache/huggingface/hub/models--nvidia--Llama-3.1-8B-Instruct-FP8/snapshots/42d9515ebd69eea3a87351d079c671c3c5ff0a31'
const YAML = '/tmp/tierbench/kvbm_llm_api_config.yaml'
const STORE = '/tmp/tierbench/dynamo-store'
const KVBM_ALL = [
  'DYN_KVBM_CPU_CACHE_GB', 'DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS', 'DYN_KVBM_DISK_CACHE_GB', 'DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS',
  'DYN_KVBM_DISK_CACHE_DIR', 'DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER', 'DYN_KVBM_METRICS', 'DYN_KVBM_METRICS_PORT', 'KVSIM_EVICTION_POLICY',
  'DYN_KVBM_LEADER_WORKER_INIT_TIMEOUT_SECS', 'DYN_KVBM_DISK_DISABLE_O_DIRECT',
]
const KVBM_CONNECTOR_JSON = '{"kv_connector":"DynamoConnector","kv_role":"kv_both","kv_connector_module_path":"kvbm.vllm_integration.connector"}'
const HICACHE = ['--enable-hierarchical-cache', '--hicache-ratio', '2', '--hicache-write-policy', 'write_through']

type Era = '0.8' | '1.6'
const discovery = (era: Era) => (era === '1.6' ? ['--discovery-backend', 'file'] : ['--store-kv', 'file'])
const discoveryEnv = (era: Era): Record<string, string> =>
  era === '1.6' ? { DYN_DISCOVERY_BACKEND: 'file', DYN_FILE_KV: STORE } : { DYN_STORE_KV: 'file', DYN_FILE_KV: STORE }

const baseCommand = (era: Era, engine: DynamoEngineKind): string[] => {
  if (engine === 'trtllm')
    return ['python3', '-m', 'dynamo.trtllm', era === '1.6' ? '--model' : '--model-path', MP, '--served-model-name', MODEL,
      '--endpoint', 'dyn://dynamo.tensorrt_llm.generate', '--extra-engine-args', YAML, ...discovery(era)]
  if (engine === 'vllm')
    return ['python3', '-m', 'dynamo.vllm', '--model', MP, '--served-model-name', MODEL,
      '--max-model-len', '16384', '--max-num-batched-tokens', '8192', '--max-num-seqs', '8', ...discovery(era)]
  return ['python3', '-m', 'dynamo.sglang', '--model-path', MP, '--served-model-name', MODEL,
    '--context-length', '16384', '--max-running-requests', '8', '--enable-cache-report', ...discovery(era)]
}

/** What each mode adds to the command: the tiering backend's flags. */
const modeArgs = (era: Era, engine: DynamoEngineKind, mode: KvModeId): string[] => {
  if (engine === 'vllm') {
    if (mode === 'B0') return era === '0.8' ? ['--connector', 'none'] : []
    return era === '1.6' ? ['--kv-transfer-config', KVBM_CONNECTOR_JSON] : ['--connector', 'kvbm']
  }
  if (engine === 'sglang') return mode === 'B0' ? [] : mode === 'B1' ? HICACHE : [...HICACHE, '--hicache-storage-backend', 'file']
  return [] // TRT-LLM: KVBM lives in the engine YAML
}

const expectedEnv = (era: Era, engine: DynamoEngineKind, mode: KvModeId, kvbmPort: number) => {
  const base = { DYN_SYSTEM_PORT: '8081', ...discoveryEnv(era) }
  if (mode === 'B0') return { set: base, unset: KVBM_ALL }
  if (engine === 'sglang')
    return { set: mode === 'B2' ? { ...base, SGLANG_HICACHE_FILE_BACKEND_STORAGE_DIR: '/mnt/nvme/kvbm' } : base, unset: KVBM_ALL }
  const kvbm = { DYN_KVBM_METRICS: 'true', DYN_KVBM_METRICS_PORT: String(kvbmPort), DYN_KVBM_LEADER_WORKER_INIT_TIMEOUT_SECS: '1800' }
  if (mode === 'B1')
    return {
      set: { ...base, ...kvbm, DYN_KVBM_CPU_CACHE_GB: '8', DYN_KVBM_DISK_CACHE_GB: '0' },
      unset: ['DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS', 'DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS', 'DYN_KVBM_DISK_CACHE_DIR',
        'DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER', 'KVSIM_EVICTION_POLICY', 'DYN_KVBM_DISK_DISABLE_O_DIRECT'],
    }
  return {
    set: { ...base, ...kvbm, DYN_KVBM_CPU_CACHE_GB: '8', DYN_KVBM_DISK_CACHE_GB: '32', DYN_KVBM_DISK_CACHE_DIR: '/mnt/nvme/kvbm' },
    unset: ['DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS', 'DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS', 'DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER',
      'KVSIM_EVICTION_POLICY', 'DYN_KVBM_DISK_DISABLE_O_DIRECT'],
  }
}

let double: DynamoDouble
let setup: FakeDockerSetup | null = null
beforeAll(async () => {
  double = await startDynamoDouble(MODEL)
})
afterAll(async () => {
  await double.close()
})
afterEach(async () => {
  await setup?.target.stop()
  setup?.cleanup()
  setup = null
  double.state = { healthStatus: 'healthy', models: [MODEL], completions: 'ok', kvbm: 'on', diskBlocksPerRequest: 0 }
})

const cases: [Era, DynamoEngineKind][] = [
  ['0.8', 'trtllm'], ['0.8', 'vllm'], ['0.8', 'sglang'],
  ['1.6', 'trtllm'], ['1.6', 'vllm'], ['1.6', 'sglang'],
]

describe('worker and frontend command lines by Dynamo version and engine (fake docker)', () => {
  test.each(cases)('Dynamo %s image, dynamo.%s: exact worker command and env in B0, B1 and B2', async (era, engine) => {
    const backends = (name: BackendName) => (name === 'sglang-hicache' ? hicacheStandIn : null)
    setup = makeFakeDockerTarget(double, {
      env: { FAKE_PIP_SHOW: `{canned}/pip-show-${era}-${engine}.txt` },
      config: { worker: { engine } },
      options: { backends },
    })
    const { target, records } = setup
    for (const mode of ['B0', 'B1', 'B2'] as const) {
      // The double's KVBM endpoint answers only where a KVBM leader would run.
      double.state.kvbm = mode !== 'B0' && engine !== 'sglang' ? 'on' : 'off'
      const info = await target.applyMode({ id: mode })
      expect(info.modeVerified).toBe(true)
      const w = workerStart(records())
      expect(w.shell).toEqual(['bash', '-lc'])
      expect(w.command).toEqual([...baseCommand(era, engine), ...modeArgs(era, engine, mode)])
      const env = expectedEnv(era, engine, mode, double.kvbmPort)
      expect(w.set).toEqual(env.set)
      expect(w.unset).toEqual(env.unset)
      // Read by presence: O_DIRECT stays on by being unset, never by `false`.
      expect(Object.values(w.set)).not.toContain('false')
      expect(info.provenance.backend).toBe(mode === 'B0' ? null : engine === 'sglang' ? 'sglang-hicache' : 'kvbm')
    }
    const yamls = records().filter((r) => r.tool === 'docker' && r.argv[1] === '-i' && r.argv.at(-1) === YAML)
    expect(yamls.map((r) => /kv_connector_config/.test(r.stdin ?? ''))).toEqual(engine === 'trtllm' ? [false, true, true] : [])

    const fe = frontendStart(records())
    expect(fe.command).toEqual([
      'python3', '-m', 'dynamo.frontend', '--http-host', '127.0.0.1', '--http-port', String(double.frontendPort), ...discovery(era),
      '--model-name', MODEL, '--model-path', MP,
    ])
    expect(fe.set).toEqual(discoveryEnv(era))
    const all = records().map((r) => r.argv.join(' ')).join('\n')
    expect(all).not.toContain('--exp-python-factory')
    if (era === '1.6') expect(all).not.toContain('--store-kv')
    else expect(all).not.toContain('--discovery-backend')
    const p = target.info().provenance
    expect(p.dynamoCli).toEqual({ generation: era === '1.6' ? 'discovery-backend' : 'store-kv', dynamoVersion: era === '1.6' ? '1.6.2' : '0.8.1', source: 'image' })
    expect(p.warnings).toEqual([])
  })

  test('the whole docker exec line of a 1.6 TRT-LLM B2 worker, byte for byte', async () => {
    setup = makeFakeDockerTarget(double, { env: { FAKE_PIP_SHOW: '{canned}/pip-show-1.6-trtllm.txt' } })
    await setup.target.applyMode({ id: 'B2' })
    const w = workerStart(setup.records())
    expect(w.rec.argv).toEqual([
      'exec', '-d',
      '-e', 'DYN_KVBM_CPU_CACHE_GB=8', '-e', 'DYN_KVBM_DISK_CACHE_GB=32', '-e', 'DYN_KVBM_DISK_CACHE_DIR=/mnt/nvme/kvbm',
      '-e', 'DYN_KVBM_METRICS=true', '-e', `DYN_KVBM_METRICS_PORT=${double.kvbmPort}`, '-e', 'DYN_KVBM_LEADER_WORKER_INIT_TIMEOUT_SECS=1800',
      '-e', 'DYN_SYSTEM_PORT=8081', '-e', 'DYN_DISCOVERY_BACKEND=file', '-e', `DYN_FILE_KV=${STORE}`,
      'dyn', 'bash', '-lc',
      'echo $$ > /tmp/bench-logs/worker.pid; echo "== tierbench worker mode B2 $(date -u +%Y-%m-%dT%H:%M:%SZ) pid $$ ==" >> /tmp/bench-logs/worker.log; ' +
        'exec env -u DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS -u DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS -u DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER ' +
        `-u KVSIM_EVICTION_POLICY -u DYN_KVBM_DISK_DISABLE_O_DIRECT python3 -m dynamo.trtllm --model ${MP} --served-model-name ${MODEL} ` +
        `--endpoint dyn://dynamo.tensorrt_llm.generate --extra-engine-args ${YAML} --discovery-backend file >> /tmp/bench-logs/worker.log 2>&1`,
    ])
  })

  test('kvbm_disk_o_direct: false sets DYN_KVBM_DISK_DISABLE_O_DIRECT=1 for disk modes only, never `false`', async () => {
    setup = makeFakeDockerTarget(double, { env: { FAKE_PIP_SHOW: '{canned}/pip-show-1.6-trtllm.txt' }, config: { kvbm_disk_o_direct: false } })
    await setup.target.applyMode({ id: 'B2' })
    expect(workerStart(setup.records()).set.DYN_KVBM_DISK_DISABLE_O_DIRECT).toBe('1')
    await setup.target.applyMode({ id: 'B1' })
    const b1 = workerStart(setup.records())
    expect(b1.set).not.toHaveProperty('DYN_KVBM_DISK_DISABLE_O_DIRECT')
    expect(b1.unset).toContain('DYN_KVBM_DISK_DISABLE_O_DIRECT')
    expect(setup.target.info().provenance.kvbmDiskODirect).toBe(false)
  })

  test('an image whose Dynamo version cannot be read gets the newest command line and a warning in provenance', async () => {
    setup = makeFakeDockerTarget(double, { env: { FAKE_PIP_SHOW: '/dev/null' } })
    await setup.target.applyMode({ id: 'B0' }).catch(() => undefined)
    const w = workerStart(setup.records())
    expect(w.command).toEqual(expect.arrayContaining(['--model', '--discovery-backend']))
    const p = setup.target.info().provenance
    expect(p.dynamoCli).toEqual({ generation: 'discovery-backend', dynamoVersion: null, source: 'unknown' })
    expect((p.warnings as string[]).join('\n')).toMatch(/^DYNAMO_VERSION_UNKNOWN: Expected an ai-dynamo version/m)
  })

  test('a pinned dynamo_version chooses the command line even when the image says otherwise, with a warning', async () => {
    setup = makeFakeDockerTarget(double, { env: { FAKE_PIP_SHOW: '{canned}/pip-show-1.6-trtllm.txt' }, config: { dynamo_version: '0.8.1' } })
    double.state.kvbm = 'off'
    await setup.target.applyMode({ id: 'B0' })
    expect(workerStart(setup.records()).command).toContain('--store-kv')
    expect((setup.target.info().provenance.warnings as string[]).join('\n')).toMatch(/DYNAMO_VERSION_PINNED: dynamo_version 0\.8\.1 chose the command line, but the image has ai-dynamo 1\.6\.2/)
  })
})
