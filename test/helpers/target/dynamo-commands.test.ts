import { describe, expect, test } from 'vitest'
import { KVBM_ENV_NAMES } from '../../../helpers/config/kv-mode'
import {
  applyModeSteps,
  containerUpSteps,
  discoverySteps,
  frontendStartStep,
  nvmeController,
  shQuote,
  stopSteps,
  workerEnv,
  workerStartStep,
  type StepContext,
} from '../../../helpers/target/dynamo-commands'
import { DynamoConfig } from '../../../helpers/target/dynamo-config'
import { dynamoCliFor } from '../../../helpers/target/dynamo-version'

const ctxFor = (cfg: Record<string, unknown> = {}): StepContext => ({
  config: DynamoConfig.parse(cfg),
  home: '/home/spark',
  nvidiaFsDevices: [],
  hostEngineYamlPath: '/scratch/engine.yaml',
  hostLogsDir: '/logs',
})

describe('runbook steps as data', () => {
  test('every KVBM mode sets DYN_KVBM_METRICS=true and the metrics port; B0 sets none of them', () => {
    const ctx = ctxFor()
    for (const id of ['B1', 'B2', 'B2p', 'B3'] as const) {
      const env = workerEnv(ctx, { id })
      expect(env.DYN_KVBM_METRICS).toBe('true')
      expect(env.DYN_KVBM_METRICS_PORT).toBe('6880')
      expect(env.DYN_KVBM_LEADER_WORKER_INIT_TIMEOUT_SECS).toBe('1800')
    }
    const b0 = workerEnv(ctx, { id: 'B0' })
    for (const name of KVBM_ENV_NAMES) {
      expect(b0).toHaveProperty(name)
      expect(b0[name]).toBeUndefined()
    }
  })

  test('the host launcher fills the worker template and carries the mode env as data', () => {
    const ctx = ctxFor({
      launcher: 'host',
      cache_dir: '/data/kvbm',
      host_process: { worker_command: ['node', 'bin/kvsim.mjs', '--engine', '{engine_yaml}', '--model', '{served_name}', '--dir', '{cache_dir}'], frontend_command: null },
    })
    const step = workerStartStep(ctx, { id: 'B2p' })
    expect(step.argv).toEqual(['node', 'bin/kvsim.mjs', '--engine', '/scratch/engine.yaml', '--model', 'nvidia/Llama-3.1-8B-Instruct-FP8', '--dir', '/data/kvbm'])
    expect(step.env).toMatchObject({ DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER: 'true', DYN_KVBM_DISK_CACHE_DIR: '/data/kvbm', DYN_KVBM_DISK_CACHE_GB: '32' })
    expect(step.longRunning).toBe(true)
    expect(frontendStartStep(ctx)).toBeNull()
  })

  test('an unknown placeholder in a command template is refused', () => {
    const ctx = ctxFor({ launcher: 'host', host_process: { worker_command: ['run', '{model_pth}'] } })
    expect(() => workerStartStep(ctx, { id: 'B1' })).toThrow(/Expected a known placeholder in command template, got \{model_pth\}/)
  })

  test('etcd and NATS discovery start containers on loopback and give the worker their endpoints', () => {
    const ctx = ctxFor({ discovery: { store: 'etcd-nats' } })
    const steps = discoverySteps(ctx)
    expect(steps.map((s) => s.id)).toEqual(['discovery-etcd', 'discovery-nats'])
    expect(steps[1].argv).toContain('-js')
    expect(workerEnv(ctx, { id: 'B2' })).toMatchObject({ ETCD_ENDPOINTS: 'http://127.0.0.1:2379', NATS_SERVER: 'nats://127.0.0.1:4222', DYN_DISCOVERY_BACKEND: 'etcd' })
    expect(workerEnv(ctx, { id: 'B2' })).not.toHaveProperty('DYN_FILE_KV')
    expect(workerStartStep(ctx, { id: 'B2' }).argv.at(-1)).toContain('--discovery-backend etcd')
    expect(stopSteps(ctx, { removeContainer: false, workerPid: 1, frontendPid: 2 }).map((s) => s.id)).toEqual([
      'frontend-stop',
      'worker-stop',
      'discovery-stop-tierbench-nats',
      'discovery-stop-tierbench-etcd',
    ])
  })

  test('the file store needs no daemon; its dir is cleared at start and passed to worker and frontend as DYN_FILE_KV', () => {
    const def = discoverySteps(ctxFor())
    expect(def[0].argv).toEqual(['docker', 'exec', 'dyn', 'sh', '-c', 'rm -rf -- /tmp/tierbench/dynamo-store && mkdir -p -- /tmp/tierbench/dynamo-store'])
    const ctx = ctxFor({ discovery: { file_dir: '/tmp/dynamo-store' } })
    expect(discoverySteps(ctx)[0].argv).toEqual(['docker', 'exec', 'dyn', 'sh', '-c', 'rm -rf -- /tmp/dynamo-store && mkdir -p -- /tmp/dynamo-store'])
    expect(workerEnv(ctx, { id: 'B1' })).toMatchObject({ DYN_DISCOVERY_BACKEND: 'file', DYN_FILE_KV: '/tmp/dynamo-store' })
    expect(frontendStartStep(ctx)?.env).toMatchObject({ DYN_DISCOVERY_BACKEND: 'file', DYN_FILE_KV: '/tmp/dynamo-store' })
    // Launcher host keeps the store under the run's scratch dir, never in a shared /tmp path.
    const host = { ...ctxFor({ launcher: 'host' }), hostScratch: '/scratch' }
    expect(discoverySteps(host)[0].argv).toEqual(['sh', '-c', 'rm -rf -- /scratch/dynamo-store && mkdir -p -- /scratch/dynamo-store'])
  })

  test('extra args a version no longer accepts are refused with the reason instead of a frontend that exits at once', () => {
    const ctx = ctxFor({ container: { frontend_extra_args: ['--exp-python-factory'] } })
    expect(() => frontendStartStep(ctx)).toThrow(/Expected no --exp-python-factory in container\.frontend_extra_args for Dynamo \(newest\) \(the frontend exits at once on it\)/)
    const old = { ...ctxFor({ container: { worker_extra_args: ['--discovery-backend', 'file'] } }), cli: dynamoCliFor('0.8.1', 'image') }
    expect(() => workerStartStep(old, { id: 'B0' })).toThrow(/Expected no --discovery-backend in container\.worker_extra_args for Dynamo 0\.8\.1/)
  })

  test('a mode change is stop, wipe, engine YAML, start, pid, alive, readiness, verification — in that order', () => {
    const ids = applyModeSteps(ctxFor(), { id: 'B1' }, { baseUrl: 'http://127.0.0.1:8000', kvbmMetricsUrl: 'http://127.0.0.1:6880/metrics', workerPid: null }).map((s) => s.id)
    expect(ids).toEqual([
      'worker-stop', 'worker-ports-free', 'cache-wipe', 'engine-yaml', 'worker-start', 'worker-pid', 'worker-alive',
      'ready-health', 'ready-models', 'ready-probe', 'verify-kvbm-metrics', 'verify-fds', 'verify-b1-probe-pair',
    ])
    // vLLM and SGLang take flags, not an engine YAML.
    const vllm = applyModeSteps(ctxFor({ worker: { engine: 'vllm' } }), { id: 'B2' }, { baseUrl: 'http://127.0.0.1:8000', kvbmMetricsUrl: 'http://127.0.0.1:6880/metrics', workerPid: null })
    expect(vllm.map((s) => s.id)).not.toContain('engine-yaml')
  })

  test('nvidia-fs devices found on the host are passed to docker run, unless switched off', () => {
    const on = { ...ctxFor(), nvidiaFsDevices: ['/dev/nvidia-fs0', '/dev/nvidia-fs1'] }
    const run = containerUpSteps(on).find((s) => s.id === 'container-up')
    expect(run?.argv.filter((a) => a.startsWith('--device='))).toEqual([
      '--device=/dev/nvidia-fs0', '--device=/dev/nvidia-fs1', '--device=/dev/nvme0n1', '--device=/dev/nvme0n1p2',
    ])
    const off = { ...ctxFor({ container: { nvidia_fs_devices: false } }), nvidiaFsDevices: ['/dev/nvidia-fs0'] }
    expect(containerUpSteps(off).find((s) => s.id === 'container-up')?.argv).not.toContain('--device=/dev/nvidia-fs0')
  })

  test('shell quoting keeps plain words bare and survives single quotes', () => {
    expect(shQuote('/mnt/nvme/kvbm')).toBe('/mnt/nvme/kvbm')
    expect(shQuote('a b')).toBe("'a b'")
    expect(shQuote("it's")).toBe(`'it'\\''s'`)
  })

  test('nvme id-ctrl is pointed at the controller of the configured namespace or partition', () => {
    expect(nvmeController('/dev/nvme0n1p2')).toBe('/dev/nvme0')
    expect(nvmeController('/dev/nvme12n1')).toBe('/dev/nvme12')
  })
})
