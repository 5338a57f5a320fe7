import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createRunClock } from '../../../helpers/client/run-clock'
import type { TargetInfo } from '../../../helpers/target/target'
import { createTelemetry } from '../../../helpers/telemetry/telemetry'
import { startPromServer } from './prom-test-server'

const root = mkdtempSync(join(tmpdir(), 'tb-telemetry-'))
const cacheDir = join(root, 'cache')
const suiteDir = join(root, 'suite')
mkdirSync(cacheDir)
// The stand-in worker does what KVBM does: open its cache file, unlink it, then write blocks
// to it with O_DIRECT (through a child dd) while holding it open.
const worker = spawn('sh', ['-c', `exec 3<>${cacheDir}/kvbm-cache.bin; rm ${cacheDir}/kvbm-cache.bin; read go; dd if=/dev/zero of=/proc/self/fd/3 bs=1M count=8 oflag=direct conv=notrunc,fsync 2>/dev/null; exec sleep 60`])
const kv = (d2d: number, h2d: number) =>
  `# TYPE kvbm_onboard_blocks_d2d counter\nkvbm_onboard_blocks_d2d ${d2d}\n# TYPE kvbm_onboard_blocks_h2d counter\nkvbm_onboard_blocks_h2d ${h2d}\n# TYPE kvbm_disk_cache_hit_rate gauge\nkvbm_disk_cache_hit_rate 0.3\n`
const kvbm = await startPromServer(kv(5, 100))
const frontend = await startPromServer(readFileSync('/work/shared/fixtures/real/dynamo/frontend-metrics.prom', 'utf8'))
afterAll(async () => {
  worker.kill('SIGKILL')
  await kvbm.close()
  await frontend.close()
  rmSync(root, { recursive: true, force: true })
})

const info: TargetInfo = {
  kind: 'emulator', baseUrl: 'http://127.0.0.1:1', model: 'm', frontendMetricsUrl: frontend.url, kvbmMetricsUrl: kvbm.url,
  emulated: true, mode: 'B2', modeVerified: false, modeEvidence: [], pids: [worker.pid!], cacheDir, maxInputTokens: null,
  provenance: {}, healthStyle: 'http-status', logFiles: [],
}

describe('telemetry timeline', () => {
  it('turns a phase into deltas, missing metrics, attribution and files', async () => {
    const clock = createRunClock()
    const t = createTelemetry({
      collectors: ['block_device', 'cpu', 'memory', 'process_io', 'kvbm', 'frontend', 'cache_dir', 'client_pool', 'gpu'],
      target: info, suiteDir, clock, cadenceMs: 100, pool: () => ({ queued: 0, pending: 0, running: 1 }),
    })
    await t.start()
    await t.phaseStart('pressure')
    worker.stdin!.write('go\n')
    kvbm.set(kv(12, 400))
    const events: { t_ms: number }[] = []
    for (let i = 0; i < 25; i++) {
      await new Promise((r) => setTimeout(r, 100))
      events.push({ t_ms: clock.nowMs() })
    }
    const p = await t.phaseEnd('pressure')
    const report = await t.stop()

    const MiB8 = 8 << 20
    expect(p.deltas.block_device!.write_bytes).toBeGreaterThanOrEqual(MiB8)
    expect(p.deltas.process_io!.write_bytes).toBeGreaterThanOrEqual(MiB8)
    expect(p.deltas.process_io!.write_bytes).toBeLessThan(2 * MiB8)
    expect(p.deltas.kvbm).toMatchObject({ kvbm_onboard_blocks_d2d_delta: 7, kvbm_disk_onboard_blocks_delta: 7, kvbm_host_onboard_blocks_delta: 300, kvbm_disk_cache_hit_rate_after: 0.3 })
    expect(p.deltas.frontend!.dynamo_frontend_requests_total_delta).toBe(0)
    expect(p.deltas.cpu).not.toBeNull()
    expect(p.missing_metrics.kvbm).toEqual(expect.arrayContaining(['kvbm_offload_blocks_h2d', 'kvbm_matched_tokens']))
    expect(p.missing_metrics.kvbm).not.toContain('kvbm_onboard_blocks_d2d')
    expect(p.attribution.confidence).toBe('high')
    expect(p.attribution.open_cache_files[0]).toMatchObject({ deleted: true, size_bytes: MiB8 })
    expect(p.notes.some((n) => /gpu unavailable/.test(n))).toBe(true)

    const phaseFile = join(suiteDir, 'phase_deltas', 'pressure.json')
    expect(p.files).toContain(phaseFile)
    const written = JSON.parse(readFileSync(phaseFile, 'utf8'))
    expect(written.delta.kvbm.kvbm_onboard_blocks_d2d_delta).toBe(7)
    expect(written.start.kvbm.kvbm_onboard_blocks_d2d).toBe(5)
    expect(readdirSync(join(suiteDir, 'phase_deltas')).sort()).toEqual([
      'pressure.frontend.end.prom', 'pressure.frontend.start.prom', 'pressure.json', 'pressure.kvbm.end.prom', 'pressure.kvbm.start.prom',
    ])
    for (const c of ['block_device', 'cpu', 'memory', 'process_io', 'kvbm', 'frontend', 'cache_dir', 'client_pool']) {
      const lines = readFileSync(join(suiteDir, 'telemetry', `${c}.jsonl`), 'utf8').trim().split('\n')
      expect(lines.length, c).toBeGreaterThan(5)
      expect(JSON.parse(lines[0]).t_ms, c).toBeTypeOf('number')
      expect(report.collectors[c].samples).toBe(lines.length)
    }
    expect(existsSync(join(suiteDir, 'telemetry', 'gpu.jsonl'))).toBe(false)
    expect(report.collectors.gpu).toMatchObject({ available: false, samples: 0 })
    expect(report.collectors.cpu.jitter_ms.p50).toBeLessThan(50)
    const al = t.alignment(events)
    expect(Object.keys(al.per_collector)).not.toContain('gpu')
    expect(al.aligned_pct).toBeGreaterThanOrEqual(95)
    expect(t.alignment(events, ['gpu']).aligned_pct).toBe(0)
  })

  it("waits for the samples that cover a phase's last request when the target is slow to answer its scrape", async () => {
    // A metrics endpoint that takes 60 ms to answer, scraped every 100 ms: at any instant the reading
    // stamped just before it may still be in flight, so alignment judged at once can miss it.
    const { createServer } = await import('node:http')
    const slow = createServer((_req, res) => setTimeout(() => res.end(kv(5, 100)), 60))
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(slow.address() as { port: number }).port}/metrics`
    const clock = createRunClock()
    const t = createTelemetry({ collectors: ['kvbm'], target: { ...info, kvbmMetricsUrl: url }, suiteDir: join(root, 's-slow'), clock, cadenceMs: 100 })
    await t.start()
    await t.phaseStart('p')
    const aligned: (number | null)[] = []
    for (const pause of [130, 170, 210, 250, 290]) {
      await new Promise((r) => setTimeout(r, pause))
      const end = clock.nowMs()
      await t.awaitSamplesAfter(end, 1500)
      aligned.push(t.alignment([{ t_ms: end }], ['kvbm']).aligned_pct)
    }
    expect(aligned).toEqual([100, 100, 100, 100, 100])
    // Bounded: nothing is stamped after a time that never comes, and the wait still returns.
    await t.awaitSamplesAfter(clock.nowMs() + 60_000, 50)
    await t.phaseEnd('p')
    await t.stop()
    await new Promise<void>((r) => slow.close(() => r()))
  })

  it('refuses phaseEnd without phaseStart', async () => {
    const t = createTelemetry({ collectors: ['cpu'], target: info, suiteDir: join(root, 's2'), clock: createRunClock() })
    await t.start()
    await expect(t.phaseEnd('nope')).rejects.toThrow(/Expected phaseStart\("nope"\)/)
    await t.stop()
  })
})
