import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { buildChildEnv, launchHostProcess } from '../../../helpers/target/host-process'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tierbench-host-process-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('host-process launcher', () => {
  test('buildChildEnv drops inherited DYN_KVBM_* and removes keys set to undefined', () => {
    const env = buildChildEnv({ PATH: '/bin', DYN_KVBM_DISK_CACHE_GB: '32', DYN_KVBM_DISK_ZEROFILL_FALLBACK: 'true', KEEP: 'x', DROP: 'y' }, {
      DYN_KVBM_CPU_CACHE_GB: '8',
      DROP: undefined,
    })
    expect(env).toEqual({ PATH: '/bin', KEEP: 'x', DYN_KVBM_CPU_CACHE_GB: '8' })
  })

  test('the announced JSON line is returned and output goes to the log file', async () => {
    const p = launchHostProcess({
      argv: [process.execPath, '-e', 'console.log("starting"); console.log(JSON.stringify({url: "http://127.0.0.1:1", mode: process.env.MODE})); console.error("err line"); setInterval(() => {}, 1000)'],
      env: { PATH: process.env.PATH ?? '', MODE: 'B2' },
      logFile: join(dir, 'w.log'),
      announceJson: true,
    })
    expect(await p.announcement(20_000)).toEqual({ url: 'http://127.0.0.1:1', mode: 'B2' })
    expect(p.alive()).toBe(true)
    const exit = await p.stop(5000)
    expect(exit.signal).toBe('SIGTERM')
    expect(alive(p.pid)).toBe(false)
    const log = readFileSync(join(dir, 'w.log'), 'utf8')
    expect(log).toContain('starting')
    expect(log).toContain('err line')
  })

  test('stop reaches a child the process spawned and escalates to SIGKILL when SIGTERM is ignored', async () => {
    const script = `
      const { spawn } = require('node:child_process')
      const c = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' })
      process.on('SIGTERM', () => {})
      console.log(JSON.stringify({ child: c.pid }))
      setInterval(() => {}, 1000)`
    const p = launchHostProcess({ argv: [process.execPath, '-e', script], env: { PATH: process.env.PATH ?? '' }, logFile: join(dir, 'g.log'), announceJson: true })
    const { child } = (await p.announcement(20_000)) as { child: number }
    expect(alive(child)).toBe(true)
    const exit = await p.stop(300)
    expect(exit.signal).toBe('SIGKILL')
    for (let i = 0; i < 50 && alive(child); i++) await new Promise((r) => setTimeout(r, 50))
    expect(alive(child)).toBe(false)
  })

  test('a process that exits before announcing rejects with its exit status', async () => {
    const p = launchHostProcess({ argv: [process.execPath, '-e', 'process.exit(3)'], env: { PATH: process.env.PATH ?? '' }, logFile: join(dir, 'x.log'), announceJson: true })
    await expect(p.announcement(20_000)).rejects.toThrow(/Expected .* to announce its URLs, got exit \{"code":3/)
    expect(p.alive()).toBe(false)
  })
})
