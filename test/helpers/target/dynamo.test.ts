import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { KVBM_ENV_NAMES, type KvModeId } from '../../../helpers/config/kv-mode'
import { DynamoConfig } from '../../../helpers/target/dynamo-config'
import { engineYaml } from '../../../helpers/target/dynamo-engine-yaml'
import { DynamoTargetError } from '../../../helpers/target/dynamo-error'
import { createDynamoTarget, tcpPortIsFree, type DynamoTarget } from '../../../helpers/target/dynamo'
import { KVBM_TRTLLM_CONNECTOR, noBackends } from '../../../helpers/target/dynamo-worker-launch'
import { startDynamoDouble, type DynamoDouble } from './dynamo-http-double'
import { makeFakeDockerTarget, MODEL, standInBackend, workerStart, type FakeDockerSetup, type Rec } from './dynamo-fake-docker'

// The docker launcher against a recording fake `docker` (test/fixtures/fake-bin) and a real HTTP
// double of the frontend and the KVBM endpoint: mode env per mode, engine YAML per mode, mode
// verification and its reason codes, provenance, attach vs start, stop, and failing fast with the
// reason (FRONTEND_EXITED, WORKER_EXITED, KVBM_UNAVAILABLE, MODE_UNSUPPORTED, PORT_CONFLICT). The
// default fake image is the runbook's (ai-dynamo 0.7.1); exact command lines per Dynamo version and
// engine are pinned in dynamo-command-lines.test.ts.

let double: DynamoDouble
let setups: FakeDockerSetup[] = []
let hostTargets: DynamoTarget[] = []

beforeAll(async () => {
  double = await startDynamoDouble(MODEL)
})
afterAll(async () => {
  await double.close()
})
afterEach(async () => {
  for (const t of [...setups.map((x) => x.target), ...hostTargets]) await t.stop()
  for (const x of setups) x.cleanup()
  setups = []
  hostTargets = []
  double.state = { healthStatus: 'healthy', models: [MODEL], completions: 'ok', kvbm: 'on', diskBlocksPerRequest: 0 }
})

const makeTarget = (env: Record<string, string> = {}, cfg: Record<string, unknown> = {}, extra: Parameters<typeof makeFakeDockerTarget>[1] = {}) => {
  const x = makeFakeDockerTarget(double, { env, config: cfg, ...extra })
  setups.push(x)
  return x
}

const kvbmYaml = (mode: KvModeId) => engineYaml(DynamoConfig.parse({}).engine, mode, mode === 'B0' ? null : { kv_connector_config: { ...KVBM_TRTLLM_CONNECTOR } })
const workerStops = (records: Rec[]) => records.filter((r) => /kill -TERM/.test(r.argv.at(-1) ?? '') && /worker\.pid/.test(r.argv.at(-1) ?? ''))

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
      // The runbook image is 0.7.1: --store-kv / DYN_STORE_KV, and the file store root it wipes.
      DYN_STORE_KV: 'file',
      DYN_FILE_KV: '/tmp/tierbench/dynamo-store',
    })
    expect(w.unset).toEqual(
      expect.arrayContaining(['DYN_KVBM_DISK_CACHE_DIR', 'DYN_KVBM_DISABLE_DISK_OFFLOAD_FILTER', 'DYN_KVBM_DISK_CACHE_OVERRIDE_NUM_BLOCKS']),
    )
  })

  test('B2 on the runbook image runs the 0.x worker command (--model-path, --store-kv) with the disk tier in the cache dir', async () => {
    const { target, records } = makeTarget()
    await target.applyMode({ id: 'B2' })
    const w = workerStart(records())
    expect(w.container).toBe('dyn')
    expect(w.shell).toEqual(['bash', '-lc'])
    expect(w.command).toEqual([
      'python3', '-m', 'dynamo.trtllm',
      '--model-path', '/root/.cache/huggingface/hub/models--nvidia--Llama-3.1-8B-Instruct-FP8/snapshots/42d9515ebd69eea3a87351d079c671c3c5ff0a31',
      '--served-model-name', 'nvidia/Llama-3.1-8B-Instruct-FP8', '--endpoint', 'dyn://dynamo.tensorrt_llm.generate',
      '--extra-engine-args', '/tmp/tierbench/kvbm_llm_api_config.yaml', '--store-kv', 'file',
    ])
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
    expect(yamls).toEqual([kvbmYaml('B1').text, kvbmYaml('B2').text])
    const wipe = execs.find((r) => r.argv.includes('-delete'))
    expect(wipe?.argv).toEqual(['exec', 'dyn', 'find', '/mnt/nvme/kvbm', '-mindepth', '1', '-delete'])
  })

  test('the worker stop reads the exact pid, collects every descendant first and uses a pattern anchored at ^python3 that cannot match its own shell', async () => {
    const { target, records } = makeTarget()
    await target.applyMode({ id: 'B1' })
    const body = workerStops(records())[0]?.argv.at(-1) ?? ''
    expect(body).toContain('p=$(cat /tmp/bench-logs/worker.pid')
    expect(body).toContain(`pgrep -f '^python3 -m dynamo\\.trtllm( |$)'`)
    // An executor grandchild that survives would keep :6880 and the ZMQ ports bound for the next mode.
    expect(body).toContain('desc() { for c in $(cat /proc/$1/task/*/children 2>/dev/null); do echo $c; desc $c; done; }')
    expect(body).toContain('all="$all $q $(desc $q)"')
    expect(body.indexOf('desc $q')).toBeLessThan(body.indexOf('kill -TERM'))
    expect(body).toMatch(/kill -KILL \$all/)
    const pattern = new RegExp('^python3 -m dynamo\\.trtllm( |$)')
    expect(pattern.test(`sh -c ${body}`)).toBe(false)
    expect(pattern.test('python3 -m dynamo.trtllm --model /m')).toBe(true)
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
    expect(fe?.argv.at(-1)).toContain(`python3 -m dynamo.frontend --http-host 127.0.0.1 --http-port ${double.frontendPort} --store-kv file --model-name`)
    expect(fe?.argv.at(-1)).not.toContain('--exp-python-factory')
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
    expect(p.versions).toEqual({ dynamo: '0.7.1', tensorrtLlm: '1.2.0rc2', vllm: null, sglang: null, kvbm: '0.7.1', lmcache: null })
    expect(p.imagePinned).toBe('dgx-spark-dynamo-bench@sha256:9b2f4c1d7e8a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c')
    expect(p.imageBackends).toEqual(['trtllm-native', 'kvbm'])
    expect(p.gpu).toEqual({ name: 'NVIDIA GB10', driverVersion: '580.95.05', cudaVersion: '13.0' })
    expect(p.nvme).toEqual({ model: 'SAMSUNG MZALC4T0HBL1-00B07', firmware: '1B2QFXP7', serial: 'S7XXNF0X000000' })
    expect(p.pcieLink).toMatchObject({ status: 'Speed 16GT/s (ok), Width x4 (ok)' })
    expect(p.modelSnapshotId).toBe('42d9515ebd69eea3a87351d079c671c3c5ff0a31')
    expect(p.engineYamlSha256).toBe(kvbmYaml('B2').sha256)
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
  test('/health 200 "healthy" with no model listed is not ready: NOT_READY says /v1/models is empty', async () => {
    const { target } = makeTarget({}, { timeouts: { ready_s: 0.5, probe_stall_s: 0.5, stop_grace_s: 1, command_s: 30 } })
    double.state.models = []
    const err = (await target.applyMode({ id: 'B2' }).catch((e: unknown) => e)) as DynamoTargetError
    expect(err.reason).toBe('NOT_READY')
    expect(err.message).toMatch(/\/v1\/models is empty \(no worker registered\)/)
  })

  test('a probe stream that ends without a token is NOT_READY, not ready', async () => {
    const { target } = makeTarget({}, { timeouts: { ready_s: 0.5, probe_stall_s: 0.5, stop_grace_s: 1, command_s: 30 } })
    double.state.completions = 'empty'
    await expect(target.applyMode({ id: 'B2' })).rejects.toThrow(/NOT_READY: .*stream ended without a token/)
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
    double.state.models = []
    const err = (await target.applyMode({ id: 'B2' }).catch((e: unknown) => e)) as DynamoTargetError
    expect(err.reason).toBe('WORKER_EXITED')
    expect(err.message).toMatch(/Expected the B2 worker to become ready, got it exited/)
    expect(records().filter((r) => /^kill -0 "\$\(cat \S+worker\.pid/.test(r.argv.at(-1) ?? '')).length).toBeGreaterThanOrEqual(2)
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

describe('fail fast and say why', () => {
  test('a containerized frontend that exits on a bad flag is FRONTEND_EXITED with its log tail within 10 s', async () => {
    const { target, records } = makeTarget(
      { FAKE_FRONTEND_DEAD: '1', FAKE_FRONTEND_LOG: 'dynamo.frontend: error: unrecognized arguments: --store-kv file' },
      {},
      // The default grace before the first liveness check, not a test-speed one.
      { options: { aliveCheckMs: 2000 } },
    )
    const t0 = performance.now()
    const err = (await target.start().catch((e: unknown) => e)) as DynamoTargetError
    const ms = performance.now() - t0
    expect(err.reason).toBe('FRONTEND_EXITED')
    expect(err.message).toMatch(/^FRONTEND_EXITED: Expected the frontend to stay up, got it gone right after start\. Log tail:\n/)
    expect(err.message).toContain('unrecognized arguments: --store-kv file')
    expect(ms).toBeLessThan(10_000)
    expect(records().some((r) => /dynamo\.trtllm/.test(r.argv.at(-1) ?? '') && r.argv[1] === '-d')).toBe(false)
  })

  test('a host frontend process that exits on a bad flag is FRONTEND_EXITED with its stderr within 10 s', async () => {
    const dir = makeTarget().dir
    const target = createDynamoTarget(
      DynamoConfig.parse({
        launcher: 'host',
        ports: { frontend: 0, kvbm_metrics: 0, system: null },
        cache_dir: join(dir, 'kvbm'),
        host_process: {
          worker_command: ['node', '-e', 'setInterval(() => {}, 1000)'],
          // What dynamo.frontend 1.x prints for the runbook's flag, then exit 2 (argparse).
          frontend_command: ['node', '-e', "console.error('dynamo.frontend: error: unrecognized arguments: --exp-python-factory'); process.exit(2)"],
        },
      }),
      { logsDir: join(dir, 'logs'), scratch: join(dir, 'scratch'), collectProvenance: false },
    )
    hostTargets.push(target)
    const t0 = performance.now()
    const err = (await target.start().catch((e: unknown) => e)) as DynamoTargetError
    const ms = performance.now() - t0
    expect(err.reason).toBe('FRONTEND_EXITED')
    expect(err.message).toMatch(/got it exited with code 2\. Log tail:\n[\s\S]*unrecognized arguments: --exp-python-factory/)
    expect(ms).toBeLessThan(10_000)
  })

  test('a frontend that dies while the worker waits for readiness ends the wait with FRONTEND_EXITED', async () => {
    const { target } = makeTarget({ FAKE_FRONTEND_DIES_AFTER: '1' }, { timeouts: { ready_s: 30, probe_stall_s: 0.5, stop_grace_s: 1, command_s: 30 } })
    double.state.models = []
    const t0 = performance.now()
    const err = (await target.applyMode({ id: 'B1' }).catch((e: unknown) => e)) as DynamoTargetError
    expect(err.reason).toBe('FRONTEND_EXITED')
    expect(performance.now() - t0).toBeLessThan(10_000)
  })

  test('a KVBM mode on an image without kvbm is KVBM_UNAVAILABLE naming what the image has, before the worker is touched; B0 still runs', async () => {
    const { target, records } = makeTarget({ FAKE_PIP_SHOW: '{canned}/pip-show-1.7-trtllm-no-kvbm.txt' })
    const err = (await target.applyMode({ id: 'B2' }).catch((e: unknown) => e)) as DynamoTargetError
    expect(err.reason).toBe('KVBM_UNAVAILABLE')
    expect(err.message).toMatch(/Expected the kvbm package in dgx-spark-dynamo-bench:latest for B2 .*got none \(ModuleNotFoundError: No module named 'kvbm'\); this image has trtllm-native for trtllm/)
    expect(workerStops(records())).toEqual([])
    double.state.kvbm = 'off'
    expect((await target.applyMode({ id: 'B0' })).modeVerified).toBe(true)
  })

  test('a kvbm module without pip metadata is not KVBM_UNAVAILABLE: the import decides', async () => {
    const { target, records } = makeTarget({ FAKE_PIP_SHOW: '{canned}/pip-show-1.7-trtllm-no-kvbm.txt', FAKE_KVBM_IMPORTABLE: '1' })
    const info = await target.applyMode({ id: 'B1' })
    expect(info.modeVerified).toBe(true)
    expect((info.provenance.versions as Record<string, unknown>).kvbm).toBe('importable (no pip metadata)')
    expect(records().some((r) => r.argv.join(' ') === 'exec dyn python3 -c import kvbm')).toBe(true)
  })

  test('an engine/backend pair Dynamo cannot run is MODE_UNSUPPORTED before anything is stopped', async () => {
    const sglangKvbm = makeTarget({}, { worker: { engine: 'sglang', backend: 'kvbm' } })
    await expect(sglangKvbm.target.applyMode({ id: 'B1' })).rejects.toThrow(
      /MODE_UNSUPPORTED: Expected a tiering backend Dynamo runs with dynamo\.sglang \(sglang-hicache\), got kvbm for mode B1/,
    )
    expect(workerStops(sglangKvbm.records())).toEqual([])
    const lmcacheMissing = makeTarget({}, { worker: { engine: 'vllm', backend: 'lmcache' } }, { options: { backends: noBackends } })
    await expect(lmcacheMissing.target.applyMode({ id: 'B2' })).rejects.toThrow(/MODE_UNSUPPORTED: Expected the lmcache backend's configuration \(helpers\/backends\/lmcache\.ts\)/)
    const noFilter = makeTarget({}, { worker: { engine: 'vllm', backend: 'vllm-offload' } }, {
      options: { backends: (n) => (n === 'vllm-offload' ? standInBackend('vllm-offload', ['vllm'], () => ({}), { B2p: 'vLLM has no CPU→disk admission filter to disable' }) : null) },
    })
    await expect(noFilter.target.applyMode({ id: 'B2p' })).rejects.toThrow(/MODE_UNSUPPORTED: Expected vllm-offload on dynamo\.vllm to run mode B2p, got: vLLM has no CPU→disk admission filter/)
    expect(workerStops(noFilter.records())).toEqual([])
  })

  test('a KVBM port held by an orphaned executor is PORT_CONFLICT naming the port, before the worker starts', async () => {
    const { target, records } = makeTarget({}, {}, { busyPorts: [double.kvbmPort] })
    const err = (await target.applyMode({ id: 'B2' }).catch((e: unknown) => e)) as DynamoTargetError
    expect(err.reason).toBe('PORT_CONFLICT')
    // The double really listens there, so the holder found through procfs is this test process.
    expect(err.message).toContain(`${double.kvbmPort} (KVBM metrics (DYN_KVBM_METRICS_PORT)) held by pid ${process.pid}:`)
    expect(records().some((r) => r.argv[1] === '-d' && /dynamo\.trtllm/.test(r.argv.at(-1) ?? ''))).toBe(false)
    const zmq = makeTarget({}, {}, { busyPorts: [56002] })
    await expect(zmq.target.applyMode({ id: 'B1' })).rejects.toThrow(/PORT_CONFLICT: .*56002 \(KVBM leader ZMQ\) held by/)
    const fe = makeTarget({}, {}, { busyPorts: [double.frontendPort] })
    await expect(fe.target.start()).rejects.toThrow(/PORT_CONFLICT: .*before the frontend starts/)
  })

  test('the real port probe sees a listener on the port and a free port after it closes', async () => {
    const srv = createServer()
    await new Promise<void>((r) => srv.listen(0, '0.0.0.0', () => r()))
    const port = (srv.address() as import('node:net').AddressInfo).port
    expect(await tcpPortIsFree(port)).toBe(false)
    await new Promise((r) => srv.close(r))
    expect(await tcpPortIsFree(port)).toBe(true)
  })

  test('the docker fd check lists every descendant of the worker, not only its children', async () => {
    const { target, records } = makeTarget()
    await target.applyMode({ id: 'B1' })
    const fds = records().find((r) => /ls -l \/proc\/4242\/fd/.test(r.argv.at(-1) ?? ''))?.argv.at(-1) ?? ''
    expect(fds).toContain('for c in $(desc 4242); do ls -l /proc/$c/fd 2>/dev/null; done')
  })
})
