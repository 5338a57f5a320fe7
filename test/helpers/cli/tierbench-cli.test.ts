import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { execa } from 'execa'
import { afterAll, describe, expect, test } from 'vitest'
import { runCli, type CliIo } from '../../../helpers/cli/tierbench-cli'
import { buildRunArtifacts } from '../../../reporters/build-artifacts'
import { PAIRED_SUITE, SWEEP_SUITE, writeSyntheticRun } from '../../reporters/synthetic-run'

const root = mkdtempSync(join(tmpdir(), 'tierbench-cli-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const bin = resolve(import.meta.dirname, '../../../bin/tierbench.mjs')

const captured = (): CliIo & { outLines: string[]; errLines: string[] } => {
  const outLines: string[] = []
  const errLines: string[] = []
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) }
}

describe('tierbench CLI', () => {
  test('`tierbench report <dir>` as a real subprocess regenerates identical verdicts and summaries', async () => {
    const run = await writeSyntheticRun(root, { requestsPerPhase: 40, status: 'complete' })
    await buildRunArtifacts(run.runDir, { charts: false })
    const files = [SWEEP_SUITE, PAIRED_SUITE].flatMap((s) => [join(s, 'verdict.json'), join(s, 'summary.json')]).concat(['verdict.json'])
    const before = files.map((f) => readFileSync(join(run.runDir, f), 'utf8'))
    // Remove derived files so the subprocess must write them itself.
    for (const f of files) rmSync(join(run.runDir, f))
    const res = await execa('node', [bin, 'report', run.runDir, '--no-charts'], { reject: false })
    expect(res.exitCode, res.stderr).toBe(0)
    expect(res.stdout).toContain('tierbench report:')
    expect(res.stdout).toContain('outcome blocked')
    expect(files.map((f) => readFileSync(join(run.runDir, f), 'utf8'))).toEqual(before)
  })

  test('bad arguments print usage on stderr and exit 2', async () => {
    const res = await execa('node', [bin, 'frobnicate'], { reject: false })
    expect(res.exitCode).toBe(2)
    expect(res.stderr).toContain('Expected a command (report, plan, trace-analyze, help), got "frobnicate"')
    expect(res.stderr).toContain('Usage: tierbench')
    expect(res.stdout).toBe('')
  })

  test('report without a run dir, with two, with an unknown flag or with a non-bundle dir exits 2', async () => {
    const empty = mkdtempSync(join(root, 'empty-'))
    for (const args of [['report'], ['report', 'a', 'b'], ['report', root, '--fast'], ['report', join(root, 'absent')], ['report', empty]]) {
      const io = captured()
      expect(await runCli(args, io), args.join(' ')).toBe(2)
      expect(io.errLines.join('\n')).toMatch(/Expected/)
    }
  })

  test('--help prints usage on stdout and exits 0', async () => {
    const io = captured()
    expect(await runCli(['--help'], io)).toBe(0)
    expect(io.outLines.join('\n')).toContain('report <run-dir>')
    expect(io.errLines).toEqual([])
  })

  test('`plan` delegates to planCommand(argv) of helpers/target/dynamo-plan.ts, or says clearly that it is missing', async () => {
    const io = captured()
    const code = await runCli(['plan', '--help'], io)
    const text = [...io.outLines, ...io.errLines].join('\n')
    if (io.errLines.some((l) => l.includes('Expected helpers/target/dynamo-plan.ts'))) expect(code).toBe(1)
    else expect(typeof code).toBe('number')
    expect(text).not.toContain('Usage: tierbench')
  })

  test('a crashed run (manifest still running, truncated requests) reports as interrupted instead of failing', async () => {
    const crashed = await writeSyntheticRun(join(root, 'crashed'), { requestsPerPhase: 30, truncateRequests: true, writeTests: false })
    writeFileSync(join(crashed.runDir, 'raw', 'events.jsonl'), '{"type":"start"}\n')
    const io = captured()
    expect(await runCli(['report', crashed.runDir, '--no-charts'], io)).toBe(0)
    const v = JSON.parse(readFileSync(join(crashed.runDir, 'verdict.json'), 'utf8'))
    expect(v.run_valid).toBe(false)
    expect(v.reason_codes).toContain('RUN_INTERRUPTED')
  })
})
