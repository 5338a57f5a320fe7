import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { createSglangHicacheBackend } from '../../../helpers/backends/sglang-hicache'
import { createVllmOffloadBackend } from '../../../helpers/backends/vllm-offload'
import { createStandaloneTarget, freeLoopbackPort } from '../../../helpers/target/standalone'
import { testTarget } from './target-conformance'

// The standalone driver with its real dependencies (process launch, readiness, reaping) and kvsim
// standing in for the server: the binary / python is test/fixtures/fake-engines/fake-engine.mjs,
// which reads the mode from the vLLM or SGLang command line and runs kvsim in that mode, in the same
// process, speaking the backend's metric dialect on kvsim's separate tier-metrics port.

const FAKE = resolve(__dirname, '../../fixtures/fake-engines/fake-engine.mjs')
const root = mkdtempSync(join(tmpdir(), 'tierbench-standalone-conf-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const create = (engine: 'vllm' | 'sglang') => async () => {
  const tierPort = await freeLoopbackPort()
  return createStandaloneTarget({
    engine,
    runtime: 'host',
    ...(engine === 'vllm' ? { vllmBin: FAKE } : { python: FAKE }),
    model: 'kvsim/tiny',
    backend: engine === 'vllm' ? createVllmOffloadBackend({ kvBytesPerToken: 32768 }) : createSglangHicacheBackend({}),
    metricsPort: tierPort,
    extraArgs: ['--kvsim-tier-metrics-port', String(tierPort)],
    scratchDir: join(root, engine, 'scratch'),
    logsDir: join(root, engine, 'logs'),
    readyTimeoutMs: 90_000,
    stopGraceMs: 5000,
  })
}

testTarget({ name: 'standalone vllm (vllm-offload, kvsim as the server)', create: create('vllm'), modes: ['B0', 'B1', 'B2'], refusedMode: 'B2p', ownsProcesses: true })
testTarget({ name: 'standalone sglang (sglang-hicache, kvsim as the server)', create: create('sglang'), modes: ['B0', 'B1', 'B2', 'B2p', 'B3'], ownsProcesses: true })

describe('the stand-in server runs the mode its command line asks for', { timeout: 180_000 }, () => {
  test("sglang: kvsim's start line (in the server log) reports each mode applied, so conformance is not passing on a wrong mode", async () => {
    const t = await create('sglang')()
    try {
      for (const mode of ['B1', 'B2p', 'B3'] as const) {
        const info = await t.applyMode({ id: mode })
        const start = readFileSync(info.logFiles[0]!, 'utf8').split('\n').find((l) => l.startsWith('{"url"'))
        expect(JSON.parse(start!).mode).toBe(mode)
      }
    } finally {
      await t.stop()
    }
  })
})
