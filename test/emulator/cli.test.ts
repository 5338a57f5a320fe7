import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import { CliError, parseCliArgs } from '../../emulator/cli'
import { B2_ENV, BIN, cleanEnv, ROOT, runKvsimExpectingExit, spawnKvsim } from './server/spawn-kvsim'
import { getText, streamCompletion } from './server/sse-request'

describe('kvsim CLI', () => {
  it('prints exactly one JSON ready line and exits 0 on SIGTERM', async () => {
    const k = await spawnKvsim([], B2_ENV)
    let extraStdout = ''
    k.child.stdout!.on('data', (c) => (extraStdout += c))
    const { info } = k
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(info.metricsUrl).toBe(`${info.url}/metrics`)
    expect(info.kvbmMetricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    expect(info.pid).toBe(k.child.pid)
    expect(info).toMatchObject({ profile: 'tiny', mode: 'B2', model: 'kvsim/tiny', maxInputTokens: 8192, emulated: true })
    expect(typeof info.g3.oDirect).toBe('boolean')
    expect((await getText(`${info.url}/health`)).status).toBe(200)
    expect(await k.stop()).toBe(0)
    expect(extraStdout).toBe('')
    // Logs are JSON lines on stderr.
    const logs = k.stderr().trim().split('\n')
    for (const l of logs) expect(() => JSON.parse(l)).not.toThrow()
  })

  it('reports B0 with no KVBM metrics URL when no DYN_KVBM_* is set', async () => {
    const k = await spawnKvsim([], { DYN_KVBM_METRICS: 'true' })
    expect(k.info.mode).toBe('B0')
    expect(k.info.kvbmMetricsUrl).toBeNull()
    expect(await k.stop()).toBe(0)
  })

  it('does not serve KVBM metrics when started with the no_kvbm_metrics fault', async () => {
    const k = await spawnKvsim(['--faults', 'no_kvbm_metrics'], B2_ENV)
    expect(k.info.mode).toBe('B2')
    expect(k.info.kvbmMetricsUrl).toBeNull()
    expect((await getText(`${k.info.url}/admin/faults`)).text).toContain('"spec":"no_kvbm_metrics"')
    expect(await k.stop()).toBe(0)
  })

  it('takes the KVBM metrics port from DYN_KVBM_METRICS_PORT when no flag is given', async () => {
    const port = 20000 + (process.pid % 20000)
    const child = spawn(process.execPath, [BIN, '--profile', 'tiny', '--port', '0'], {
      cwd: ROOT,
      env: cleanEnv({ DYN_KVBM_CPU_CACHE_GB: '1', DYN_KVBM_METRICS: '1', DYN_KVBM_METRICS_PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve))
    const info = JSON.parse(line)
    expect(info.mode).toBe('B1')
    expect(info.kvbmMetricsUrl).toBe(`http://127.0.0.1:${port}/metrics`)
    expect((await getText(info.kvbmMetricsUrl)).text).toContain('kvbm_offload_blocks_d2h 0')
    child.kill('SIGTERM')
    expect(await new Promise((r) => child.once('exit', r))).toBe(0)
  })

  it('exits by itself when the process that started it dies without a signal to it (npx killed)', async () => {
    // The middle process starts kvsim (stdin not piped, so --exit-with-parent cannot help), prints
    // kvsim's ready line, and is then SIGKILLed, as npm exec's child would be left behind.
    const code = `
      const { spawn } = require('node:child_process')
      const k = spawn(process.execPath, [${JSON.stringify(BIN)}, '--profile', 'tiny', '--port', '0', '--kvbm-metrics-port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] })
      k.stdout.once('data', (d) => process.stdout.write(d))
      setInterval(() => {}, 1000)`
    const middle = spawn(process.execPath, ['-e', code], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'inherit'] })
    const info = JSON.parse(await new Promise<string>((r) => createInterface({ input: middle.stdout! }).once('line', r))) as { pid: number }
    middle.kill('SIGKILL')
    const alive = () => {
      try {
        process.kill(info.pid, 0)
        return true
      } catch {
        return false
      }
    }
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 100))
    expect(alive(), `kvsim ${info.pid} outlived the process that started it`).toBe(false)
  })

  it('writes no LoRA adapter files unless asked, and leaves no adapters dir in TMPDIR when it made one', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'kvsim-tmpdir-'))
    try {
      const child = spawn(process.execPath, [BIN, '--profile', 'tiny', '--port', '0', '--kvbm-metrics-port', '0', '--time-scale', '0.01'], {
        cwd: ROOT,
        env: cleanEnv({ TMPDIR: tmp }),
        stdio: ['ignore', 'pipe', 'ignore'],
      })
      const info = JSON.parse(await new Promise<string>((r) => createInterface({ input: child.stdout! }).once('line', r))) as { url: string }
      const kvsimEntries = () => readdirSync(tmp).filter((d) => d.startsWith('kvsim')) // tsx keeps its cache here too
      expect(kvsimEntries(), 'nothing written before any adapter is asked for').toEqual([])
      const r = await streamCompletion(info.url, { prompt: 'hello', max_tokens: 2, stream: true, model: 'kvsim/tiny:adapter-001' })
      expect(r.status).toBe(200)
      const dirs = kvsimEntries()
      expect(dirs.length).toBe(1)
      expect(readdirSync(path.join(tmp, dirs[0]))).toEqual(['adapter-001'])
      child.kill('SIGTERM')
      expect(await new Promise((res) => child.once('exit', res))).toBe(0)
      expect(existsSync(path.join(tmp, dirs[0])), 'its own adapters dir removed on exit').toBe(false)
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  })

  it('exits when its stdin closes with --exit-with-parent', async () => {
    const k = await spawnKvsim(['--exit-with-parent'], {}, { stdin: 'pipe' })
    const exited = new Promise<number | null>((r) => k.child.once('exit', r))
    k.child.stdin!.end()
    expect(await exited).toBe(0)
    await k.stop()
  })

  it('ends an in-flight stream with an SSE error event on SIGTERM and removes nothing it did not create', async () => {
    const k = await spawnKvsim([], B2_ENV)
    const before = readdirSync(k.dir)
    const pending = streamCompletion(k.info.url, { prompt: 'hello there', max_tokens: 100000, ignore_eos: true, stream: true })
    await new Promise((r) => setTimeout(r, 300))
    k.child.kill('SIGTERM')
    const res = await pending
    expect(res.status).toBe(200)
    expect(res.errorEvents).toHaveLength(1)
    expect(res.errorEvents[0].error.message).toBeTruthy()
    expect(res.done).toBe(false)
    expect(await k.stop()).toBe(0)
    // The G3 file is unlinked at creation, so the cache dir holds no kvsim file before or after.
    expect(before.filter((f) => f.startsWith('kvsim-disk-cache'))).toEqual([])
  })

  // Two real processes prove the exit code; the other bad flags are checked on parseCliArgs below.
  it.concurrent.each([
    [['--profile', 'nope'], /Expected --profile to be one of .*got "nope"/],
    [['--profile', 'tiny', '--bogus'], /Expected kvsim flags, got: .*bogus/],
  ])('rejects %j with exit code 2 and a clear message', async (args, message) => {
    const { code, stderr, stdout } = await runKvsimExpectingExit(args)
    expect(code).toBe(2)
    expect(stderr).toMatch(message)
    expect(stdout).toBe('')
  })
})

describe('parseCliArgs', () => {
  it.each([
    [['--profile', 'tiny', '--port', 'abc'], /Expected --port to be an integer/],
    [['--profile', 'tiny', '--port', '70000'], /Expected --port to be an integer in \[0, 65535\], got "70000"/],
    [['--profile', 'tiny', '--time-scale', '0'], /Expected --time-scale to be a number > 0, got "0"/],
    [['--profile', 'tiny', '--io-scale', '0.5'], /Expected --io-scale to be a number >= 1, got "0.5"/],
    [['--profile', 'tiny', '--faults', 'stall:2'], /Expected --faults to be a valid fault spec: .*stall:2/],
    [['--profile', 'tiny', 'extra'], /Expected kvsim flags, got: /],
    [[], /Expected --profile <name>, got nothing/],
    [['--profile', 'tiny', '--backend', 'vllm'], /Expected --backend to be one of kvbm, vllm-offload, lmcache, sglang-hicache, trtllm-native, llamacpp, got "vllm"/],
  ])('rejects %j with a CliError that says what was expected', (args, message) => {
    expect(() => parseCliArgs(args)).toThrow(CliError)
    expect(() => parseCliArgs(args)).toThrow(message)
  })

  it('applies the documented defaults', () => {
    expect(parseCliArgs(['--profile', 'tiny'])).toMatchObject({
      profile: 'tiny', port: 0, host: '127.0.0.1', kvbmMetricsPort: undefined, faults: '', timeScale: 1, ioScale: 1, exitWithParent: false, backend: 'kvbm',
    })
    expect(parseCliArgs(['--profile', 'tiny', '--backend', 'lmcache']).backend).toBe('lmcache')
  })

  it('parses every flag', () => {
    const a = parseCliArgs(['--profile', 'tiny', '--port', '8000', '--kvbm-metrics-port', '0', '--faults', 'stall:0.5', '--time-scale', '0.01',
      '--io-scale', '16', '--cache-dir', '/tmp/x', '--adapters-dir', '/tmp/y', '--max-body-bytes', '2048', '--exit-with-parent'])
    expect(a).toMatchObject({ port: 8000, kvbmMetricsPort: 0, faults: 'stall:0.5', timeScale: 0.01, ioScale: 16, cacheDir: '/tmp/x',
      adaptersDir: '/tmp/y', maxBodyBytes: 2048, exitWithParent: true })
  })
})
