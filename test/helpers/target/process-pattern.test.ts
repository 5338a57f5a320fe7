import { spawn } from 'node:child_process'
import { describe, expect, test } from 'vitest'
import { pidsMatching } from '../../../helpers/target/process-pattern'

describe('pidsMatching', () => {
  test('finds a running process by a pattern on its command line, and never this process', async () => {
    const marker = `tb-pattern-${process.pid}-${Date.now()}`
    const child = spawn('sleep', ['30'], { argv0: marker, stdio: 'ignore' })
    // sleep ignores argv0 for its work; /proc/<pid>/cmdline carries the marker.
    try {
      await new Promise((r) => setTimeout(r, 100))
      expect(pidsMatching(`^${marker}`)).toEqual([child.pid])
      expect(pidsMatching('vitest')).not.toContain(process.pid)
    } finally {
      child.kill('SIGKILL')
    }
  })

  test('a pattern that is not a regular expression is an error naming the field', () => {
    expect(() => pidsMatching('(')).toThrow(/target\.process_pattern/)
  })
})
