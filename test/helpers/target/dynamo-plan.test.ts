import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { planCommand, resolveSuiteFiles, suiteModes } from '../../../helpers/target/dynamo-plan'

const SPARK = resolve(__dirname, '../../../configs/targets/dynamo-spark.yaml')
let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tierbench-plan-'))
  mkdirSync(join(dir, 'suites'))
  writeFileSync(join(dir, 'suites', 'h2b-knee.test.ts'), "describe('H2B', { tags: ['h2b', 'mode:B2', 'mode:B1'] }, () => {})\n")
  writeFileSync(join(dir, 'suites', 'h0-queue.test.ts'), "describe('H0', { tags: ['h0', 'mode:B0'] }, () => {})\n")
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const plan = async (...argv: string[]) => {
  let out = ''
  let err = ''
  const code = await planCommand(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: dir })
  return { code, out, err }
}

describe('tierbench plan --target dynamo', () => {
  test('a suite prefix resolves to its files and their mode tags in canonical order', () => {
    expect(resolveSuiteFiles('suites/h2b', dir)).toEqual([join(dir, 'suites', 'h2b-knee.test.ts')])
    expect(resolveSuiteFiles('suites', dir)).toHaveLength(2)
    expect(suiteModes("tags: ['mode:B2p', 'mode:B0', 'mode:B2']")).toEqual(['B0', 'B2', 'B2p'])
  })

  test('prints numbered steps in runbook order: container, provenance, frontend, then per mode stop/wipe/yaml/start/ready/verify, then logs and stop', async () => {
    const { code, out } = await plan('plan', '--target', 'dynamo', '--config', SPARK, 'suites/h2b')
    expect(code).toBe(0)
    const ids = [...out.matchAll(/^\s*(\d+)\. \[([a-z0-9-]+)\]/gm)].map((m) => [Number(m[1]), m[2]] as const)
    expect(ids.map(([n]) => n)).toEqual(ids.map((_, i) => i + 1))
    const order = ids.map(([, id]) => id)
    const at = (id: string, from = 0) => order.indexOf(id, from)
    expect(order.slice(0, 5)).toEqual(['container-inspect', 'container-remove-stale', 'container-up', 'container-dirs', 'container-mount-check'])
    expect(at('image-versions')).toBeGreaterThan(at('container-up'))
    expect(at('prov-image')).toBeGreaterThan(at('image-versions'))
    expect(at('frontend-start')).toBeGreaterThan(at('prov-pcie'))
    expect(order.slice(at('frontend-start') - 2, at('frontend-start') + 3)).toEqual(['frontend-stop', 'frontend-ports-free', 'frontend-start', 'frontend-pid', 'frontend-alive'])
    const b1 = out.indexOf('── mode B1')
    const b2 = out.indexOf('── mode B2')
    expect(b1).toBeGreaterThan(0)
    expect(b2).toBeGreaterThan(b1)
    expect(out.indexOf('── mode B0')).toBe(-1)
    const firstModeStart = at('worker-start')
    expect(order.slice(firstModeStart - 4, firstModeStart + 1)).toEqual(['worker-stop', 'worker-ports-free', 'cache-wipe', 'engine-yaml', 'worker-start'])
    expect(order.filter((id) => id === 'worker-start')).toHaveLength(2)
    expect(order.slice(-6)).toEqual(['logs-docker', 'logs-worker', 'logs-frontend', 'frontend-stop', 'worker-stop', 'container-remove'])
  })

  test('each worker start shows its env, what is unset, and why', async () => {
    const { out } = await plan('--target', 'dynamo', '--config', SPARK, 'suites/h2b')
    const b1 = out.slice(out.indexOf('── mode B1'), out.indexOf('── mode B2'))
    expect(b1).toContain('env: DYN_KVBM_CPU_CACHE_GB=8 DYN_KVBM_DISK_CACHE_GB=0 DYN_KVBM_METRICS=true DYN_KVBM_METRICS_PORT=6880')
    expect(b1).toMatch(/unset: .*DYN_KVBM_DISK_CACHE_DIR/)
    expect(b1).toMatch(/why: Every DYN_KVBM_\* is set or explicitly unset: B1 forces DYN_KVBM_DISK_CACHE_GB=0/)
    const b2 = out.slice(out.indexOf('── mode B2'))
    expect(b2).toContain('DYN_KVBM_DISK_CACHE_DIR=/mnt/nvme/kvbm')
    expect(b2).toContain('connector_scheduler_class: DynamoKVBMConnectorLeader')
  })

  test('a suite with no mode tags, a missing suite and another target are usage errors (exit 2)', async () => {
    writeFileSync(join(dir, 'suites', 'h9-none.test.ts'), "describe('x', () => {})\n")
    expect(await plan('--config', SPARK, 'suites/h9')).toMatchObject({ code: 2, err: expect.stringMatching(/Expected mode:\* tags in suites\/h9-none\.test\.ts, got none/) })
    expect(await plan('--config', SPARK, 'suites/nope')).toMatchObject({ code: 2, err: expect.stringMatching(/Expected suite files matching suites\/nope, got none/) })
    expect(await plan('--target', 'emulator', 'suites/h2b')).toMatchObject({ code: 2, err: expect.stringMatching(/Expected --target dynamo/) })
    expect(await plan('--target', 'dynamo', '--config', join(dir, 'missing.yaml'), 'suites/h2b')).toMatchObject({ code: 2, err: expect.stringMatching(/Expected a readable YAML file/) })
  })

  test('the host launcher plan has no docker commands', async () => {
    writeFileSync(join(dir, 'host.yaml'), 'kind: dynamo\ndynamo:\n  launcher: host\n  cache_dir: /data/kvbm\n')
    const { code, out } = await plan('--config', join(dir, 'host.yaml'), 'suites/h0')
    expect(code).toBe(0)
    expect(out).not.toMatch(/\$ docker /)
    expect(out).toContain('$ python3 -m dynamo.trtllm')
    expect(out).toContain('$ python3 -m dynamo.frontend --http-host 127.0.0.1 --http-port 8000')
  })

  test('--dynamo-version 1.6 --engine vllm --backend lmcache prints the 1.x command line: no --store-kv, no --exp-python-factory', async () => {
    const { code, out } = await plan('plan', '--target', 'dynamo', '--dynamo-version', '1.6', '--engine', 'vllm', '--backend', 'lmcache', '--config', SPARK, 'suites/h2b')
    expect(code).toBe(0)
    expect(out).toContain('worker dynamo.vllm, tiering backend lmcache; Dynamo 1.6 (--discovery-backend, --model)')
    expect(out).not.toContain('--store-kv')
    expect(out).not.toContain('--exp-python-factory')
    expect(out).toMatch(/\$ docker exec -d .* bash -lc .*python3 -m dynamo\.vllm --model \S+ --served-model-name .* --discovery-backend file .*--kv-transfer-config/)
    expect(out).toMatch(/LMCacheConnectorV1/)
    expect(out).toContain('python3 -m dynamo.frontend --http-host 127.0.0.1 --http-port 8000 --discovery-backend file')
    expect(out).toContain('env: DYN_DISCOVERY_BACKEND=file DYN_FILE_KV=/tmp/tierbench/dynamo-store')
  })

  test('--dynamo-version 0.8.1 prints the runbook-era flags, and the engine/backend pairs Dynamo cannot run say MODE_UNSUPPORTED', async () => {
    const old = await plan('--dynamo-version', '0.8.1', '--config', SPARK, 'suites/h2b')
    expect(old.out).toContain('--store-kv file')
    expect(old.out).toContain('--model-path')
    expect(old.out).not.toContain('--discovery-backend')
    const bad = await plan('--engine', 'sglang', '--backend', 'kvbm', '--config', SPARK, 'suites/h2b')
    expect(bad.code).toBe(0)
    expect(bad.out).toMatch(/── mode B2 \(applyMode\): MODE_UNSUPPORTED: Expected a tiering backend Dynamo runs with dynamo\.sglang \(sglang-hicache\), got kvbm/)
    expect(await plan('--engine', 'tgi', '--config', SPARK, 'suites/h2b')).toMatchObject({ code: 2, err: expect.stringMatching(/Expected --engine trtllm\|vllm\|sglang, got tgi/) })
  })

  test('the SGLang plan carries the registered HiCache backend flags and its storage dir', async () => {
    const { out } = await plan('--dynamo-version', '1.6', '--engine', 'sglang', '--config', SPARK, 'suites/h2b')
    expect(out).toMatch(/python3 -m dynamo\.sglang --model-path \S+ .*--enable-cache-report --discovery-backend file --enable-metrics --enable-hierarchical-cache/)
    const starts = out.split('\n').filter((l) => l.includes('python3 -m dynamo.sglang'))
    expect(starts).toHaveLength(2)
    for (const l of starts) expect(l.match(/--enable-cache-report/g)).toHaveLength(1)
    expect(out).toContain('SGLANG_HICACHE_FILE_BACKEND_STORAGE_DIR=/mnt/nvme/kvbm')
  })
})
