import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { teeProcessLogs } from '../../../helpers/telemetry/logs'

describe('log tee', () => {
  it('writes a child process stdout and stderr into the logs dir while others can still read them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-logs-'))
    try {
      const child = spawn('sh', ['-c', 'echo out-line; echo err-line 1>&2'])
      let seen = ''
      child.stdout.on('data', (d) => (seen += d))
      const tee = teeProcessLogs(child, join(dir, 'logs'), 'worker')
      await new Promise((r) => child.on('close', r))
      await tee.close()
      expect(tee.files.map((f) => f.slice(dir.length))).toEqual(['/logs/worker.stdout.log', '/logs/worker.stderr.log'])
      expect(readFileSync(tee.files[0], 'utf8')).toBe('out-line\n')
      expect(readFileSync(tee.files[1], 'utf8')).toBe('err-line\n')
      expect(seen).toBe('out-line\n')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
