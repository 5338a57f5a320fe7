import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { KvsimInfo } from '../../../emulator/index'

// Starts kvsim as a real process through bin/kvsim.mjs, the way the harness does, and waits for
// its one JSON ready line.

export const ROOT = path.resolve(import.meta.dirname, '../../..')
export const BIN = path.join(ROOT, 'bin/kvsim.mjs')

export interface KvsimProcess {
  info: KvsimInfo
  child: ChildProcess
  stderr: () => string
  dir: string
  /** SIGTERM and wait; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Env without any DYN_KVBM_* so a test sets exactly the mode it means. */
export const cleanEnv = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DYN_KVBM_') && !k.startsWith('KVSIM_')) env[k] = v
  return { ...env, ...extra }
}

export const B1_ENV = { DYN_KVBM_CPU_CACHE_GB: '1', DYN_KVBM_METRICS: 'true' }
export const B2_ENV = { DYN_KVBM_CPU_CACHE_GB: '1', DYN_KVBM_DISK_CACHE_GB: '1', DYN_KVBM_METRICS: 'true' }

export const spawnKvsim = async (
  args: string[] = [],
  env: Record<string, string> = {},
  opts: { stdin?: 'pipe' | 'ignore'; dir?: string } = {},
): Promise<KvsimProcess> => {
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'kvsim-test-'))
  const child = spawn(
    process.execPath,
    [BIN, '--profile', 'tiny', '--port', '0', '--kvbm-metrics-port', '0', '--time-scale', '0.01', '--io-scale', '8',
      '--cache-dir', dir, '--adapters-dir', path.join(dir, 'adapters'), ...args],
    { cwd: ROOT, env: cleanEnv(env), stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] },
  )
  let err = ''
  child.stderr!.on('data', (c) => (err += c))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! })
    rl.once('line', (l) => resolve(l))
    child.once('exit', (code) => reject(new Error(`Expected kvsim to print a ready line, got exit ${code}: ${err}`)))
  })
  const info = JSON.parse(line) as KvsimInfo
  return {
    info,
    child,
    dir,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (!child.killed && child.exitCode === null && child.signalCode === null) child.kill(signal)
      const code = await exited
      if (!opts.dir) rmSync(dir, { recursive: true, force: true })
      return code
    },
  }
}

/** Runs kvsim expecting it to fail before ready; resolves with exit code and stderr. */
export const runKvsimExpectingExit = (args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; stdout: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let stdout = ''
    child.stderr.on('data', (c) => (stderr += c))
    child.stdout.on('data', (c) => (stdout += c))
    child.once('exit', (code) => resolve({ code, stderr, stdout }))
  })
