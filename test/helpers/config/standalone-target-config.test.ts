import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { ConfigError } from '../../../helpers/config/config-error'
import { loadRunConfig } from '../../../helpers/config/load-run-config'

// TIERBENCH_TARGET=vllm | sglang: the standalone launcher's fields, their defaults from
// configs/targets/<kind>.yaml, and errors that name the field to fix.

const REPO_CONFIGS = resolve(__dirname, '../../../configs')
let cwd: string
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'tierbench-standalone-config-'))
  cpSync(REPO_CONFIGS, join(cwd, 'configs'), { recursive: true })
})
afterEach(() => rmSync(cwd, { recursive: true, force: true }))

const load = (env: Record<string, string>) => loadRunConfig({ cwd, env })
const errorOf = (fn: () => unknown): ConfigError => {
  try {
    fn()
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('Expected a ConfigError, got a successful load')
}

describe('vllm and sglang target config', () => {
  test('TIERBENCH_TARGET=vllm reads the model, binary, backend and runtime from env, the rest from configs/targets/vllm.yaml', () => {
    const c = load({ TIERBENCH_TARGET: 'vllm', TIERBENCH_MODEL: '/models/llama', TIERBENCH_VLLM_BIN: '/opt/venv/bin/vllm', TIERBENCH_BACKEND: 'lmcache', TIERBENCH_CACHE_DIR: '/mnt/nvme/tb' })
    expect(c.target).toEqual({
      kind: 'vllm',
      binary: '/opt/venv/bin/vllm',
      backend: 'lmcache',
      runtime: 'host',
      model: '/models/llama',
      port: 0,
      mounts: [],
      extra_args: [],
      cache_dir: '/mnt/nvme/tb',
      ready_timeout_s: 900,
      stop_grace_s: 30,
      keep_alive: true,
    })
  })

  test('vllm defaults to the vllm-offload backend and the `vllm` CLI; sglang to sglang-hicache and python3', () => {
    expect(load({ TIERBENCH_TARGET: 'vllm', TIERBENCH_MODEL: 'm' }).target).toMatchObject({ binary: 'vllm', backend: 'vllm-offload' })
    expect(load({ TIERBENCH_TARGET: 'sglang', TIERBENCH_MODEL: 'm' }).target).toMatchObject({ kind: 'sglang', python: 'python3', backend: 'sglang-hicache' })
    expect(load({ TIERBENCH_TARGET: 'sglang', TIERBENCH_MODEL: 'm', TIERBENCH_SGLANG_PYTHON: '/venv/bin/python' }).target).toMatchObject({ python: '/venv/bin/python' })
  })

  test('docker runtime takes the image from TIERBENCH_SERVER_IMAGE, and yaml fields (port, extra args, mounts) layer in', () => {
    writeFileSync(join(cwd, 'configs/tierbench.yaml'), 'target:\n  kind: vllm\n  port: 8011\n  metrics_port: 6880\n  extra_args: [--max-model-len, "16384"]\n  mounts: [/models]\n')
    const c = load({ TIERBENCH_MODEL: '/models/llama', TIERBENCH_SERVER_RUNTIME: 'docker', TIERBENCH_SERVER_IMAGE: 'vllm/vllm-openai:v0.11.0', TIERBENCH_BACKEND: 'kvbm' })
    expect(c.target).toMatchObject({ kind: 'vllm', runtime: 'docker', image: 'vllm/vllm-openai:v0.11.0', port: 8011, metrics_port: 6880, extra_args: ['--max-model-len', '16384'], mounts: ['/models'], backend: 'kvbm' })
  })

  test('a missing or empty model names target.model', () => {
    expect(errorOf(() => load({ TIERBENCH_TARGET: 'vllm' })).message).toContain('target.model: Expected a string, got nothing (missing)')
    writeFileSync(join(cwd, 'configs/tierbench.yaml'), 'target:\n  model: ""\n')
    expect(errorOf(() => load({ TIERBENCH_TARGET: 'sglang' })).message).toContain('configs/tierbench.yaml: target.model: Expected at least 1 character(s), got ""')
  })

  test('docker without an image names target.image and TIERBENCH_SERVER_IMAGE', () => {
    const err = errorOf(() => load({ TIERBENCH_TARGET: 'sglang', TIERBENCH_MODEL: 'm', TIERBENCH_SERVER_RUNTIME: 'docker' }))
    expect(err.message).toMatch(/target\.image/)
    expect(err.message).toContain('TIERBENCH_SERVER_IMAGE')
  })

  test('a backend the engine cannot run is refused naming TIERBENCH_BACKEND and the allowed ones', () => {
    const v = errorOf(() => load({ TIERBENCH_TARGET: 'vllm', TIERBENCH_MODEL: 'm', TIERBENCH_BACKEND: 'sglang-hicache' }))
    expect(v.issues.map((i) => i.where)).toEqual(['env TIERBENCH_BACKEND'])
    expect(v.message).toMatch(/vllm-offload.*lmcache.*kvbm/)
    const s = errorOf(() => load({ TIERBENCH_TARGET: 'sglang', TIERBENCH_MODEL: 'm', TIERBENCH_BACKEND: 'vllm-offload' }))
    expect(s.issues.map((i) => i.where)).toEqual(['env TIERBENCH_BACKEND'])
    expect(s.message).toContain('sglang-hicache')
  })

  test('bad runtime and port values name their variable or field', () => {
    const err = errorOf(() => load({ TIERBENCH_TARGET: 'vllm', TIERBENCH_MODEL: 'm', TIERBENCH_SERVER_RUNTIME: 'podman' }))
    expect(err.issues.map((i) => i.where)).toEqual(['env TIERBENCH_SERVER_RUNTIME'])
    writeFileSync(join(cwd, 'configs/tierbench.yaml'), 'target:\n  port: 70000\n')
    const p = errorOf(() => load({ TIERBENCH_TARGET: 'vllm', TIERBENCH_MODEL: 'm' }))
    expect(p.issues.map((i) => i.where)).toEqual(['configs/tierbench.yaml: target.port'])
  })

  test('another kind\'s variables are ignored with a warning (TIERBENCH_VLLM_BIN under sglang)', () => {
    const c = load({ TIERBENCH_TARGET: 'sglang', TIERBENCH_MODEL: 'm', TIERBENCH_VLLM_BIN: '/x/vllm' })
    expect(c.target).not.toHaveProperty('binary')
    expect(c.warnings).toContain('env TIERBENCH_VLLM_BIN ignored: it applies to target vllm, not sglang')
  })
})
