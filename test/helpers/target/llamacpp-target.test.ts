import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { describe, expect, test } from 'vitest'
import { createLlamacppTarget } from '../../../helpers/target/llamacpp-target'
import { isModeNotApplicable } from '../../../helpers/target/mode-not-applicable'
import type { Target } from '../../../helpers/target/target'
import { llamaServerEnv, realServerTitle } from '../real-server/llama-server-env'
import { testTarget } from './target-conformance'

describe('llama.cpp target configuration', () => {
  test('a missing binary is an error naming the field and the variable that sets it', () => {
    expect(() => createLlamacppTarget({ binary: '/nonexistent/llama-server', modelPath: '/nonexistent/m.gguf', logsDir: tmpdir() })).toThrow(
      /target\.binary.*TIERBENCH_LLAMA_SERVER_BIN/,
    )
  })
})

const env = llamaServerEnv()
const root = mkdtempSync(join(tmpdir(), 'tb-llamacpp-'))
let current: Target | null = null

describe.skipIf(!env)(realServerTitle('llama.cpp target against a real llama-server', env), () => {
  testTarget({
    name: 'llamacpp (real llama-server)',
    create: () => (current = createLlamacppTarget({ binary: env!.binary, modelPath: env!.model, logsDir: join(root, 'logs'), ctxSize: 8192 })),
    modes: ['B0', 'B1'],
    refusedMode: 'B2',
    ownsProcesses: true,
    kvbmEndpoint: 'every-mode',
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  })

  test('B1 and B0 differ exactly in --cache-ram, the context limit comes from the server, and B2 is not applicable (not a start failure)', async () => {
    const t = createLlamacppTarget({ binary: env!.binary, modelPath: env!.model, logsDir: join(root, 'logs2'), ctxSize: 8192, cacheRamMib: 64 })
    try {
      const b1 = await t.applyMode({ id: 'B1' })
      expect(b1.modeVerified).toBe(true)
      expect(b1.provenance.cache_ram_mib).toBe(64)
      expect(readFileSync(`/proc/${b1.pids[0]}/cmdline`, 'utf8').split('\0')).toContain('64')
      // -c 8192 with --kv-unified: the server reports 8192, not the model spec's or the GGUF's 32768.
      expect(b1.maxInputTokens).toBe(8192)
      expect(String(b1.provenance.n_ctx_source)).toMatch(/v1\/models|props/)
      const b0 = await t.applyMode({ id: 'B0' })
      expect(b0.provenance.cache_ram_mib).toBe(0)
      expect(b0.pids[0]).not.toBe(b1.pids[0])
      const err = await t.applyMode({ id: 'B2' }).catch((e: unknown) => e)
      expect(isModeNotApplicable(err)).toBe(true)
      expect(String(err)).toMatch(/B2 not applicable on this target/)
    } finally {
      await t.stop()
    }
  }, 120_000)
})
void current

describe.skipIf(!env)(realServerTitle('llama.cpp target lifetime', env), () => {
  test('the server dies with its parent even when the parent is SIGKILLed (no exit hook runs)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-llama-orphan-'))
    const script = join(dir, 'start.mts')
    const mod = fileURLToPath(new URL('../../../helpers/target/llamacpp-target.ts', import.meta.url))
    writeFileSync(
      script,
      `import { createLlamacppTarget } from ${JSON.stringify(mod)}\n` +
        `const t = createLlamacppTarget({ binary: ${JSON.stringify(env!.binary)}, modelPath: ${JSON.stringify(env!.model)}, logsDir: ${JSON.stringify(join(dir, 'logs'))}, ctxSize: 2048 })\n` +
        `const i = await t.start()\nconsole.log(JSON.stringify({ pid: i.pids[0] }))\nsetInterval(() => {}, 1000)\n`,
    )
    const parent = execa(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../../..', import.meta.url)), reject: false, stdout: 'pipe', stderr: 'pipe' })
    try {
      const pid = await new Promise<number>((resolve, reject) => {
        parent.stdout!.on('data', (b: Buffer) => {
          const m = /\{"pid":(\d+)\}/.exec(b.toString())
          if (m) resolve(Number(m[1]))
        })
        parent.once('exit', () => reject(new Error('Expected the parent to print the server pid, got exit')))
      })
      const alive = (p: number) => {
        try {
          process.kill(p, 0)
          return true
        } catch {
          return false
        }
      }
      expect(alive(pid)).toBe(true)
      parent.kill('SIGKILL')
      await parent
      const deadline = Date.now() + 10_000
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      expect(alive(pid), `llama-server pid ${pid} outlived its SIGKILLed parent`).toBe(false)
    } finally {
      parent.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
