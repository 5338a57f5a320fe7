import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { watchTarget } from '../../../helpers/suite/watch-target'
import type { TargetInfo } from '../../../helpers/target/target'

const info = (over: Partial<TargetInfo>): TargetInfo => ({
  kind: 'external',
  baseUrl: 'http://127.0.0.1:9',
  model: 'm',
  frontendMetricsUrl: null,
  kvbmMetricsUrl: null,
  emulated: false,
  mode: 'B0',
  modeVerified: false,
  modeEvidence: [],
  pids: [],
  cacheDir: null,
  maxInputTokens: null,
  provenance: {},
  healthStyle: 'dynamo',
  logFiles: [],
  ...over,
})

describe('the target watchdog', () => {
  test('a serving process that dies mid-phase is reported as TARGET_LOST', async () => {
    const child = execa(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { reject: false })
    const reason = new Promise<string>((resolve) => {
      const w = watchTarget(info({ kind: 'emulator', pids: [child.pid!] }), resolve, { pidPollMs: 20, modelPollMs: 60_000 })
      setTimeout(() => w.stop(), 5000).unref()
    })
    setTimeout(() => child.kill('SIGKILL'), 100)
    expect(await reason).toBe('TARGET_LOST')
    await child
  })

  test('a worker that unregisters (empty /v1/models) is reported as MODEL_DROPPED', async () => {
    let models = [{ id: 'm' }]
    const server: Server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ data: models }))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const reasons: string[] = []
    const w = watchTarget(info({ baseUrl: url }), (r) => reasons.push(r), { modelPollMs: 30 })
    await new Promise((r) => setTimeout(r, 150))
    expect(reasons).toEqual([])
    models = []
    await new Promise((r) => setTimeout(r, 200))
    w.stop()
    server.close()
    expect(reasons).toEqual(['MODEL_DROPPED'])
  })
})
