import { describe, expect, it } from 'vitest'
import { createLmcacheBackend } from '../../../helpers/backends/lmcache'
import { createSglangHicacheBackend } from '../../../helpers/backends/sglang-hicache'
import { createVllmOffloadBackend } from '../../../helpers/backends/vllm-offload'
import { TierPlan } from '../../../helpers/tiers/tier-plan'
import { dockerRemoveArgv, sidecarCommand, standaloneCommand } from '../../../helpers/target/standalone-commands'

const PLAN = TierPlan.parse({ host_tier_bytes: 8e9, disk_tier_bytes: 32e9 })
const CTX = { cacheDir: '/scratch/kv', metricsPort: null }
const vllm = createVllmOffloadBackend()
const sglang = createSglangHicacheBackend()
const base = { model: 'meta-llama/Llama-3.1-8B-Instruct', port: 8000 }

describe('standalone server command lines', () => {
  it('vllm serve on the host in B0: loopback, prefix caching, no connector', () => {
    const c = standaloneCommand({ ...base, engine: 'vllm', runtime: 'host' }, vllm.configure('B0', TierPlan.parse({}), CTX))
    expect(c.argv).toEqual(['vllm', 'serve', base.model, '--host', '127.0.0.1', '--port', '8000', '--enable-prefix-caching', '--enable-prompt-tokens-details'])
    expect(c.env).toEqual({ VLLM_USE_SIMPLE_KV_OFFLOAD: undefined })
  })

  it('vllm serve on the host in B2: the fs tier JSON as one argument and PYTHONHASHSEED in the env', () => {
    const c = standaloneCommand({ ...base, engine: 'vllm', runtime: 'host', servedModelName: 'llama' }, vllm.configure('B2', PLAN, CTX))
    expect(c.argv.slice(0, 9)).toEqual(['vllm', 'serve', base.model, '--host', '127.0.0.1', '--port', '8000', '--served-model-name', 'llama'])
    expect(c.argv.at(-2)).toBe('--kv-transfer-config')
    expect(JSON.parse(c.argv.at(-1)!).kv_connector_extra_config.secondary_tiers).toEqual([{ type: 'fs', root_dir: '/scratch/kv', n_read_threads: 16, n_write_threads: 16 }])
    expect(c.env.PYTHONHASHSEED).toBe('0')
  })

  it('python -m sglang.launch_server on the host in B2 with the file backend env', () => {
    const c = standaloneCommand({ ...base, engine: 'sglang', runtime: 'host', python: '/venv/bin/python' }, sglang.configure('B2', PLAN, CTX))
    expect(c.argv).toEqual([
      '/venv/bin/python', '-m', 'sglang.launch_server', '--model-path', base.model, '--host', '127.0.0.1', '--port', '8000',
      '--enable-metrics', '--enable-cache-report',
      '--enable-hierarchical-cache', '--hicache-write-policy', 'write_through_selective', '--hicache-mem-layout', 'page_first', '--hicache-size', '8',
      '--hicache-storage-backend', 'file', '--hicache-storage-prefetch-policy', 'wait_complete',
    ])
    expect(c.env).toEqual({ SGLANG_HICACHE_FILE_BACKEND_STORAGE_DIR: '/scratch/kv' })
  })

  it('docker run wraps the same server argv: host network, exact name, cache dir mounted at its path, env as -e (unset ones omitted)', () => {
    const c = standaloneCommand(
      { ...base, engine: 'vllm', runtime: 'docker', image: 'vllm/vllm-openai:v0.33.0', containerName: 'tierbench-vllm-b2-1', mounts: ['/scratch/kv', '/models'] },
      vllm.configure('B2', PLAN, CTX),
    )
    expect(c.argv.slice(0, 20)).toEqual([
      'docker', 'run', '--rm', '--init', '--name', 'tierbench-vllm-b2-1', '--gpus', 'all', '--network', 'host', '--ipc', 'host',
      '-v', '/scratch/kv:/scratch/kv', '-v', '/models:/models', '-e', 'PYTHONHASHSEED=0', 'vllm/vllm-openai:v0.33.0', 'vllm',
    ])
    expect(c.argv).not.toContain('VLLM_USE_SIMPLE_KV_OFFLOAD')
    expect(c.env).toEqual({})
    expect(dockerRemoveArgv('tierbench-vllm-b2-1')).toEqual(['docker', 'rm', '-f', 'tierbench-vllm-b2-1'])
  })

  it('the LMCache MP sidecar runs in the same image with its own name', () => {
    const cfg = createLmcacheBackend({ variant: 'mp' }).configure('B2', PLAN, { cacheDir: '/scratch/kv', metricsPort: 9090 })
    const s = sidecarCommand({ runtime: 'docker', image: 'lmcache/vllm-openai:0.5.6', mounts: ['/scratch/kv'] }, cfg.sidecars![0]!, 'tierbench-vllm-b2-1-lmcache-server')
    expect(s.argv.slice(0, 13)).toEqual(['docker', 'run', '--rm', '--init', '--name', 'tierbench-vllm-b2-1-lmcache-server', '--network', 'host', '--ipc', 'host', '-v', '/scratch/kv:/scratch/kv', 'lmcache/vllm-openai:0.5.6'])
    expect(s.argv.slice(13, 15)).toEqual(['lmcache', 'server'])
  })

  it('refuses a docker launch without an image, and a kv-transfer-config for SGLang', () => {
    expect(() => standaloneCommand({ ...base, engine: 'vllm', runtime: 'docker', containerName: 'x' }, vllm.configure('B0', TierPlan.parse({}), CTX))).toThrow(/Expected an image/)
    expect(() => standaloneCommand({ ...base, engine: 'sglang', runtime: 'host' }, vllm.configure('B1', PLAN, CTX))).toThrow(/Expected no --kv-transfer-config for SGLang/)
  })
})
