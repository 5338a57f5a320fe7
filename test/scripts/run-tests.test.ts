import { execa } from 'execa'
import { describe, expect, test } from 'vitest'

// `npm test` must run every project even when one fails, fail if any failed, and say which.
describe('npm test (scripts/run-tests.mjs)', () => {
  test('runs each project in turn, exits non-zero when one fails and names it on the last line', async () => {
    const r = await execa(process.execPath, ['scripts/run-tests.mjs', 'test/helpers/config/did-you-mean.test.ts'], {
      reject: false,
      // A project that does not exist fails the way a red project does; the first one passes.
      env: { TIERBENCH_TEST_PROJECTS: 'no-such-project,unit', TIERBENCH_NO_INSTALL: '1' },
      timeout: 120_000,
    })
    expect(r.exitCode).toBe(1)
    const last = r.stdout.trim().split('\n').at(-1)
    expect(last).toMatch(/^== npm test: no-such-project FAILED \(exit \d+\), unit passed ==$/)
  })
})
