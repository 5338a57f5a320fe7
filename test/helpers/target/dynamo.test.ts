import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { KVBM_ENV_NAMES, type KvModeId } from '../../../helpers/config/kv-mode'
import { DynamoConfig } from '../../../helpers/target/dynamo-config'
import { engineYaml } from '../../../helpers/target/dynamo-engine-yaml'
import { DynamoTargetError } from '../../../helpers/target/dynamo-error'
import { createDynamoTarget, type DynamoTarget } from '../../../helpers/target/dynamo'
import { startDynamoDouble, type DynamoDouble } from './dynamo-http-double'

// The docker launcher against a recording fake `docker` (test/fixtures/fake-bin) and a real HTTP
// double of the frontend and the KVBM endpoint: exact command lines and env per mode, engine YAML
// per mode, mode verification and its reason codes, provenance, attach vs start, stop.

const FAKE_BIN = resolve(__dirname, '../../fixtures/fake-bin')
const MODEL = 'nvidia/Llama-3.1-8B-Instruct-FP8'

interface Rec {
  tool: string
  argv: string[]
  env: Record<string, string>
  stdin: string | null
}

let double: DynamoDouble
let dir: string
let targets: DynamoTarget[] = []

beforeAll(async () => {
  double = await startDynamoDouble(MODEL)
})
afterAll(async () => {
  await double.close()
})
afterEach(async () => {
  for (const t of targets) await t.stop()
  targets = []
  if (dir) rmSync(dir, { recursive: true, force: true })
  double.state = { healthStatus: 'healthy', models: [MODEL], completions: 'ok', kvbm: 'on', diskBlocksPerRequest: 0 }
})

const makeTarget = (env: Record<string, string> = {}, cfg: Record<string, unknown> = {}) => {
  dir = mkdtempSync(join(tmpdir(), 'tierbench-dynamo-test-'))
  const log = join(dir, 'fake.log')
  const config = DynamoConfig.parse({
    launcher: 'docker',
    ports: { frontend: double.frontendPort, kvbm_metrics: double.kvbmPort, system: 8081 },
    timeouts: { ready_s: 5, probe_stall_s: 0.5, stop_grace_s: 1, command_s: 30 },
    ...cfg,
  })
  const target = createDynamoTarget(config, {
    logsDir: join(dir, 'logs'),
    scratch: join(dir, 'scratch'),
    home: '/home/spark',
    aliveCheckMs: 0,
    pollMs: 50,
    livenessPollMs: 100,
    // `{dir}` in a knob's value is this test's temp dir (for files the fake reads).
    commandEnv: { PATH: `${FAKE_BIN}:${process.env.PATH}`, TIERBENCH_FAKE_LOG: log, ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace('{dir}', dir)])) },
  })
  targets.push(target)
  const records = (): Rec[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Rec)
      : []
  return { target, records, dir }
}

/** The `docker exec -d … bash -c '…'` that started the worker: its -e pairs, its `env -u` list, the command. */
const workerStart = (records: Rec[]) => {
  const starts = records.filter((r) => r.tool === 'docker' && r.argv[0] === 'exec' && r.argv[1] === '-d' && /dynamo\.trtllm/.test(r.argv.at(-1) ?? ''))
  const rec = starts.at(-1)
  if (!rec) throw new Error('Expected a worker start in the fake docker log, got none')
  const set: Record<string, string> = {}
  let i = 2
  for (; rec.argv[i] === '-e'; i += 2) {
    const [k, ...v] = rec.argv[i + 1].split('=')
    set[k] = v.join('=')
  }
  const body = rec.argv.at(-1) as string
  const unset = [...body.matchAll(/-u (\S+)/g)].map((m) => m[1])
  return { rec, set, unset, container: rec.argv[i], body, count: starts.length }
}

describe('mode env and command lines under the docker launcher', () => {
  test('B0 starts the worker with every DYN_KVBM_* explicitly unset and no KVBM metrics', async () => {
    const { target, records } = makeTarget()
    double.state.kvbm = 'off'
    await target.applyMode({ id: 'B0' })
    const w = workerStart(records())
    expect(Object.keys(w.set).filter((k) => k.startsWith('DYN_KVBM_'))).toEqual([])
    for (const name of [...KVBM_ENV_NAMES, 'DYN_KVBM_LEADER_WORKER_INIT_TIMEOUT_SECS']) expect(w.unset).toContain(name)
    expect(target.info().modeVerified).toBe(true)
    expect(target.info().kvbmMetricsUrl).toBeNull()
  })

  test('B1 forces DYN_KVBM_DISK_CACHE_GB=0 and unsets the disk dir, filter and block overrides', async () => {
    const { target, records } = makeTarget()
    await target.applyMode({ id: 'B1' })
    const w = workerStart(records())
    expect(w.set).toEqual({
      DYN_KVBM_CPU_CACHE_GB: '8',
      DYN_KVBM_DISK_CACHE_GB: '0',
      DYN_KVBM_METRICS: 'true',
      DYN_KVBM_METRICS_PORT: String(double.kvbmPort),
      DYN_KVBM_LEADER_WORKER_INIT_TIMEOUT_SECS: '1800',
      DYN_SYSTEM_PORT: '8081',
    })
    expect(w.unset).toEqual(
      expect.arrayContaining(['DYN_KVBM_DISK_CACHE_DIR', 'DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER', 'DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS']),
    )
  })

  test('B2 runs the exact runbook worker command with the disk tier in the cache dir', async () => {
    const { target, records } = makeTarget()
    await target.applyMode({ id: 'B2' })
    const w = workerStart(records())
    expect(w.container).toBe('dyn')
    expect(w.rec.argv.slice(-3, -1)).toEqual(['bash', '-c'])
    expect(w.body).toBe(
      'echo $$ > /tmp/bench-logs/worker.pid; echo "== tierbench worker mode B2 $(date -u +%Y-%m-%dT%H:%M:%SZ) pid $$ ==" >> /tmp/bench-logs/worker.log; exec env -u DYN_KVBM_CPU_CACHE_OVERRIDE_NUM_BLOCKS -u DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS ' +
        '-u DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER -u KVSIM_EVICTION_POLICY python3 -m dynamo.trtllm ' +
        '--model-path /root/.cache/huggingface/hub/models--nvidia--Llama-3.1-8B-Instruct-FP8/snapshots/42d9515ebd69eea3a87351d079c671c3c5ff0a31 ' +
        '--served-model-name nvidia/Llama-3.1-8B-Instruct-FP8 --endpoint dyn://dynamo.tensorrt_llm.generate ' +
        '--extra-engine-args /tmp/tierbench/kvbm_llm_api_config.yaml --store-kv file >> /tmp/bench-logs/worker.log 2>&1',
    )
    expect(w.set).toMatchObject({ DYN_KVBM_CPU_CACHE_GB: '8', DYN_KVBM_DISK_CACHE_GB: '32', DYN_KVBM_DISK_CACHE_DIR: '/mnt/nvme/kvbm', DYN_KVBM_METRICS: 'true' })
    expect(target.info().cacheDir).toBe('/mnt/nvme/kvbm')
  })

  test("B2' sets DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER=true and B3 has a disk tier without a host tier", async () => {
    const { target, records } = makeTarget()
    await target.applyMode({ id: 'B2p' })
    const b2p = workerStart(records())
    expect(b2p.set.DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER).toBe('true')
    expect(b2p.set.DYN_KVBM_METRICS_PORT).toBe(String(double.kvbmPort))
    await target.applyMode({ id: 'B3' })
    const b3 = workerStart(records())
    expect(b3.count).toBe(2)
    expect(b3.set).toMatchObject({ DYN_KVBM_CPU_CACHE_GB: '0', DYN_KVBM_DISK_CACHE_GB: '32', DYN_KVBM_METRICS: 'true' })
    expect(b3.unset).toContain('DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER')
  })

  test('tier sizes from the config reach the worker env', async () => {
    const { target, records } = makeTarget({}, { tiers: { B2: { cpu_cache_gb: 2, disk_cache_gb: 64, disk_cache_override_num_blocks: 1000 } } })
    await target.applyMode({ id: 'B2' })
    expect(workerStart(records()).set).toMatchObject({ DYN_KVBM_CPU_CACHE_GB: '2', DYN_KVBM_DISK_CACHE_GB: '64', DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS: '1000' })
  })

  test('each mode change stops the old worker, wipes the cache dir and writes that mode’s engine YAML, in that order', async () => {
    const { target, records } = makeTarget()
    const modes: KvModeId[] = ['B1', 'B2']
    for (const m of modes) await target.applyMode({ id: m })
    const execs = records().filter((r) => r.tool === 'docker' && r.argv[0] === 'exec')
    const kinds = execs.map((r) => {
      const last = r.argv.at(-1) ?? ''
      if (/kill -TERM/.test(last) && /worker\.pid/.test(last)) return 'stop'
      if (r.argv.includes('find') && r.argv.includes('-delete')) return 'wipe'
      if (r.argv[1] === '-i') return 'yaml'
      if (r.argv[1] === '-d' && /dynamo\.trtllm/.test(last)) return 'start'
      return null
    })
    expect(kinds.filter(Boolean)).toEqual(['stop', 'wipe', 'yaml', 'start', 'stop', 'wipe', 'yaml', 'start'])
    const yamls = execs.filter((r) => r.argv[1] === '-i').map((r) => r.stdin)
    expect(yamls).toEqual([engineYaml(DynamoConfig.parse({}).engine, 'B1').text, engineYaml(DynamoConfig.parse({}).engine, 'B2').text])
    const wipe = execs.find((r) => r.argv.includes('-delete'))
    expect(wipe?.argv).toEqual(['exec', 'dyn', 'find', '/mnt/nvme/kvbm', '-mindepth', '1', '-delete'])
  })

  test('the worker stop reads the exact pid and uses a pattern anchored at ^python3 that cannot match its own shell', async () => {
    const { target, records } = makeTarget()
    await target.applyMode({ id: 'B1' })
    const stop = records().find((r) => r.tool === 'docker' && /kill -TERM/.test(r.argv.at(-1) ?? '') && /worker\.pid/.test(r.argv.at(-1) ?? ''))
    const body = stop?.argv.at(-1) ?? ''
    expect(body).toContain('p=$(cat /tmp/bench-logs/worker.pid')
    expect(body).toContain(`pkill -TERM -f '^python3 -m dynamo\\.trtllm( |$)'`)
    const pattern = new RegExp('^python3 -m dynamo\\.trtllm( |$)')
    expect(pattern.test(`sh -c ${body}`)).toBe(false)
    expect(pattern.test('python3 -m dynamo.trtllm --model-path /m')).toBe(true)
    expect(pattern.test('python3 -m dynamo.trtllm_other')).toBe(false)
  })

  test('applyMode refuses DYN_KVBM_* smuggled in through opts.env', async () => {
    const { target } = makeTarget()
    await expect(target.applyMode({ id: 'B1' }, { env: { DYN_KVBM_DISK_CACHE_GB: '32' } })).rejects.toThrow(/DYN_KVBM_DISK_CACHE_GB/)
  })
})

describe('start, attach and stop', () => {
  test('start runs the container with the runbook flags when none is running, and stop removes it', async () => {
    const { target, records } = makeTarget()
    await target.start()
    const run = records().find((r) => r.tool === 'docker' && r.argv[0] === 'run')
    expect(run?.argv).toEqual([
      'run', '-d', '--name', 'dyn', '--gpus', 'all', '--ipc', 'host', '--network', 'host',
      '--device=/dev/nvme0n1', '--device=/dev/nvme0n1p2', '--ulimit', 'memlock=-1',
      '--cap-add', 'IPC_LOCK', '--cap-add', 'SYS_ADMIN',
      '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined',
      '-e', 'CUFILE_ENV_PATH_JSON=/etc/cufile/cufile.json',
      '-v', '/mnt/nvme:/mnt/nvme:rshared',
      '-v', '/home/spark/.cache/huggingface/:/root/.cache/huggingface/',
      '-v', '/run/udev:/run/udev:ro', '-v', '/dev/disk:/dev/disk:ro',
      'dgx-spark-dynamo-bench:latest', 'bash', '-lc', 'sleep infinity',
    ])
    const fe = records().find((r) => r.tool === 'docker' && r.argv[1] === '-d' && /dynamo\.frontend/.test(r.argv.at(-1) ?? ''))
    expect(fe?.argv.at(-1)).toContain(`python3 -m dynamo.frontend --http-host 127.0.0.1 --http-port ${double.frontendPort} --store-kv file --exp-python-factory`)
    await target.stop()
    const rm = records().filter((r) => r.tool === 'docker' && r.argv[0] === 'rm')
    expect(rm.map((r) => r.argv)).toEqual([['rm', '-f', 'dyn'], ['rm', '-f', 'dyn']])
    expect(records().some((r) => r.tool === 'docker' && r.argv[0] === 'logs' && r.argv[1] === '-t')).toBe(true)
  })

  test('a docker daemon that is not running fails start at the inspect step with a clear message', async () => {
    const { target, records } = makeTarget({ FAKE_DOCKER_DAEMON_DOWN: '1' })
    await expect(target.start()).rejects.toThrow(/COMMAND_FAILED: Expected a reachable docker daemon, got: Cannot connect to the Docker daemon/)
    expect(records().filter((r) => r.tool === 'docker').map((r) => r.argv[0])).toEqual(['inspect'])
  })

  test('start attaches to a running container and stop leaves it running', async () => {
    const { target, records } = makeTarget({ FAKE_DOCKER_RUNNING: 'true' })
    await target.start()
    await target.stop()
    const sub = records().filter((r) => r.tool === 'docker').map((r) => r.argv[0])
    expect(sub).not.toContain('run')
    expect(sub).not.toContain('rm')
    expect(target.info().provenance.attachedToRunningContainer).toBe(true)
  })

  test('provenance records image digest, versions, GPU, NVMe, PCIe link, engine YAML and its sha256', async () => {
    const { target } = makeTarget()
    await target.applyMode({ id: 'B2' })
    const info = target.info()
    const p = info.provenance
    expect(p.digest).toBe('sha256:9b2f4c1d7e8a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c')
    expect(p.versions).toEqual({ aiDynamo: '0.7.1', tensorrtLlm: '1.2.0rc2', kvbm: '0.7.1' })
    expect(p.gpu).toEqual({ name: 'NVIDIA GB10', driverVersion: '580.95.05', cudaVersion: '13.0' })
    expect(p.nvme).toEqual({ model: 'SAMSUNG MZALC4T0HBL1-00B07', firmware: '1B2QFXP7', serial: 'S7XXNF0X000000' })
    expect(p.pcieLink).toMatchObject({ status: 'Speed 16GT/s (ok), Width x4 (ok)' })
    expect(p.modelSnapshotId).toBe('42d9515ebd69eea3a87351d079c671c3c5ff0a31')
    expect(p.engineYamlSha256).toBe(engineYaml(DynamoConfig.parse({}).engine, 'B2').sha256)
    expect(p.engineYaml).toContain('connector_module: kvbm.trtllm_integration.connector')
    expect(info.maxInputTokens).toBe(8192)
    expect(info.emulated).toBe(false)
    // The fake container's pids do not exist in this host's /proc, so they stay container pids, labelled.
    expect(info.pids).toEqual([4242, 4243])
    expect(p.pidNamespace).toBe('container')
  })
})

describe('mode verification', () => {
  test('B0 with a KVBM endpoint that answers throws MODE_NOT_VERIFIED', async () => {
    const { target } = makeTarget()
    double.state.kvbm = 'on'
    await expect(target.applyMode({ id: 'B0' })).rejects.toMatchObject({ reason: 'MODE_NOT_VERIFIED' })
    expect(target.info().modeVerified).toBe(false)
  })

  test('B1 with a disk-tier file held open by the worker throws B1_DISK_TIER_ACTIVE', async () => {
    const { target, dir } = makeTarget({ FAKE_DOCKER_FDS: '{dir}/fds.txt' })
    writeFileSync(join(dir, 'fds.txt'), 'lrwx------ 1 root root 64 Nov 22 16:00 7 -> /mnt/nvme/kvbm/dynamo-kvbm-disk-cache-Ab12Cd (deleted)\n')
    const err = await target.applyMode({ id: 'B1' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DynamoTargetError)
    expect((err as DynamoTargetError).reason).toBe('B1_DISK_TIER_ACTIVE')
    expect((err as DynamoTargetError).message).toContain('/mnt/nvme/kvbm/dynamo-kvbm-disk-cache-Ab12Cd (deleted)')
  })

  test('B1 whose worker fds cannot be listed fails closed with MODE_NOT_VERIFIED', async () => {
    const { target } = makeTarget({ FAKE_DOCKER_FDS_FAIL: '1' })
    await expect(target.applyMode({ id: 'B1' })).rejects.toThrow(/MODE_NOT_VERIFIED: Expected to list \/proc\/4242\/fd in dyn, got exit 3: .*Permission denied/)
  })

  test('B2 evidence names the unlinked disk-tier file the containerized worker holds open', async () => {
    const { target, dir } = makeTarget({ FAKE_DOCKER_FDS: '{dir}/fds.txt' })
    writeFileSync(join(dir, 'fds.txt'), 'lrwx------ 1 root root 64 Nov 22 16:00 7 -> /mnt/nvme/kvbm/dynamo-kvbm-disk-cache-Q9 (deleted)\n')
    const info = await target.applyMode({ id: 'B2' })
    expect(info.modeEvidence).toContain('B2: disk tier file open: /mnt/nvme/kvbm/dynamo-kvbm-disk-cache-Q9 (deleted)')
  })

  test('B1 whose probe request pair moves a disk counter throws B1_DISK_TIER_ACTIVE', async () => {
    const { target } = makeTarget()
    double.state.diskBlocksPerRequest = 3
    await expect(target.applyMode({ id: 'B1' })).rejects.toThrow(/B1_DISK_TIER_ACTIVE: .*kvbm_offload_blocks_h2d \+6/)
  })

  test('B1 with no disk file open and quiet disk counters is verified with evidence', async () => {
    const { target } = makeTarget()
    const info = await target.applyMode({ id: 'B1' })
    expect(info.modeVerified).toBe(true)
    expect(info.modeEvidence.join('\n')).toMatch(/B1: probe pair moved no disk counter/)
    expect(info.kvbmMetricsUrl).toBe(`http://127.0.0.1:${double.kvbmPort}/metrics`)
  })

  test('B2 without the expected KVBM counter names throws KVBM_METRICS_MISSING', async () => {
    const { target } = makeTarget()
    double.state.kvbm = 'missing-names'
    await expect(target.applyMode({ id: 'B2' })).rejects.toThrow(/KVBM_METRICS_MISSING: .*kvbm_offload_blocks_h2d/)
  })

  test('B3 with no KVBM endpoint at all throws KVBM_METRICS_MISSING', async () => {
    const { target } = makeTarget()
    double.state.kvbm = 'off'
    await expect(target.applyMode({ id: 'B3' })).rejects.toMatchObject({ reason: 'KVBM_METRICS_MISSING' })
  })
})

describe('readiness guards', () => {
  test('/health 200 with status "unhealthy" is not ready (NOT_READY)', async () => {
    const { target } = makeTarget({}, { timeouts: { ready_s: 0.5, probe_stall_s: 0.5, stop_grace_s: 1, command_s: 30 } })
    double.state.healthStatus = 'unhealthy'
    await expect(target.applyMode({ id: 'B2' })).rejects.toMatchObject({ reason: 'NOT_READY' })
  })

  test('a probe stream that sends nothing while /health stays 200 is STALLED', async () => {
    const { target } = makeTarget()
    double.state.completions = 'stall'
    const err = (await target.applyMode({ id: 'B2' }).catch((e: unknown) => e)) as DynamoTargetError
    expect(err.reason).toBe('STALLED')
    expect(err.message).toMatch(/no bytes on the probe stream for 500 ms/)
  })

  test('a worker that is gone right after start is WORKER_EXITED with the log tail', async () => {
    const { target } = makeTarget({ FAKE_WORKER_DEAD: '1' })
    await expect(target.applyMode({ id: 'B2' })).rejects.toThrow(/WORKER_EXITED: [\s\S]*fake worker log/)
  })

  test('a containerized worker that dies while readiness is pending ends the wait with WORKER_EXITED', async () => {
    const { target, records } = makeTarget({ FAKE_WORKER_DIES_AFTER: '1' }, { timeouts: { ready_s: 30, probe_stall_s: 0.5, stop_grace_s: 1, command_s: 30 } })
    double.state.healthStatus = 'unhealthy'
    const err = (await target.applyMode({ id: 'B2' }).catch((e: unknown) => e)) as DynamoTargetError
    expect(err.reason).toBe('WORKER_EXITED')
    expect(err.message).toMatch(/Expected the B2 worker to become ready, got it exited/)
    expect(records().filter((r) => /^kill -0 "\$\(cat/.test(r.argv.at(-1) ?? '')).length).toBeGreaterThanOrEqual(2)
  })

  test('watchWorker reports MODEL_DROPPED when /v1/models empties mid-run', async () => {
    const { target } = makeTarget()
    await target.applyMode({ id: 'B2' })
    const watch = target.watchWorker({ intervalMs: 30, failuresBeforeDrop: 2 })
    await new Promise((r) => setTimeout(r, 100))
    expect(watch.current()).toBeNull()
    double.state.models = []
    const dropped = await watch.dropped
    watch.stop()
    expect(dropped.reason).toBe('MODEL_DROPPED')
    expect(dropped.detail).toMatch(/no models/)
  })
})

describe('cleanup after a failed start', () => {
  test('a container started before a failure is still removed by stop', async () => {
    const { target, records } = makeTarget({ FAKE_FRONTEND_PID_MISSING: '1' })
    await expect(target.start()).rejects.toThrow(/Expected a frontend pid file/)
    await target.stop()
    expect(records().filter((r) => r.tool === 'docker' && r.argv[0] === 'rm').map((r) => r.argv)).toEqual([['rm', '-f', 'dyn'], ['rm', '-f', 'dyn']])
  })
})
