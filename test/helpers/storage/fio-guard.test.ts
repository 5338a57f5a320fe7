import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ContentionUnavailableError } from '../../../helpers/storage/contention-unavailable-error'
import { assertInsideScratch, assertJobFileSafe, assertSafeScratch, type StatFn } from '../../../helpers/storage/fio-guard'

const root = mkdtempSync(join(tmpdir(), 'tb-guard-'))
const scratch = join(root, 'scratch')
const cache = join(root, 'cache')
mkdirSync(scratch)
mkdirSync(cache)
afterAll(() => rmSync(root, { recursive: true, force: true }))

const refused = (f: () => unknown, re: RegExp) => {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(ContentionUnavailableError)
    expect((e as Error).message).toMatch(re)
    return
  }
  throw new Error('Expected a ContentionUnavailableError, got none')
}

describe('fio guard', () => {
  it('accepts a scratch dir on the KV cache filesystem and returns its real path', () => {
    expect(assertSafeScratch(scratch, cache)).toBe(scratch)
  })

  it('refuses block devices and device paths', () => {
    refused(() => assertSafeScratch('/dev/vda', cache), /device path \/dev\/vda/)
    const link = join(root, 'looks-like-dir')
    symlinkSync('/dev/null', link)
    refused(() => assertSafeScratch(link, cache), /device path \/dev\/null/)
    const blockStat: StatFn = () => ({ dev: 1n, isDirectory: () => false, isBlockDevice: () => true, isCharacterDevice: () => false })
    refused(() => assertSafeScratch(scratch, cache, blockStat), /device node/)
  })

  it('refuses a scratch dir on another filesystem than the KV cache (st_dev differs)', () => {
    const stat: StatFn = (p) => ({ dev: p === scratch ? 1n : 2n, isDirectory: () => true, isBlockDevice: () => false, isCharacterDevice: () => false })
    refused(() => assertSafeScratch(scratch, cache, stat), /KV cache dir's filesystem \(st_dev 2\), got st_dev 1/)
    // A real second filesystem when one exists: /proc is never the temp dir's.
    refused(() => assertSafeScratch(scratch, '/proc'), /st_dev/)
  })

  it('creates a missing scratch dir, and refuses a missing cache dir or an uncreatable scratch dir', () => {
    expect(assertSafeScratch(join(root, 'new', 'fio'), cache)).toBe(join(root, 'new', 'fio'))
    refused(() => assertSafeScratch(scratch, join(root, 'nope')), /to exist/)
    refused(() => assertSafeScratch('/proc/tierbench-no/fio', cache), /Expected to create scratch directory/)
    writeFileSync(join(root, 'a-file'), '')
    refused(() => assertSafeScratch(join(root, 'a-file', 'fio'), cache), /Expected to create scratch directory/)
  })

  it('refuses paths outside the scratch dir, also through symlinks and dot-dots', () => {
    expect(assertInsideScratch(join(scratch, 'fio-x', 'job.0.0'), scratch)).toBe(join(scratch, 'fio-x', 'job.0.0'))
    refused(() => assertInsideScratch(join(scratch, '..', 'cache', 'f'), scratch), /inside scratch/)
    refused(() => assertInsideScratch(scratch, scratch), /inside scratch/)
    symlinkSync(cache, join(scratch, 'escape'))
    refused(() => assertInsideScratch(join(scratch, 'escape', 'f'), scratch), /resolves to .*cache\/f/)
    refused(() => assertInsideScratch('/etc/passwd', scratch), /inside scratch/)
  })

  it('refuses job files that name their own paths or non-file engines', () => {
    refused(() => assertJobFileSafe('[j]\nfilename=/dev/nvme0n1\n', 'evil'), /without filename=/)
    refused(() => assertJobFileSafe('[j]\ndirectory=/var\n', 'evil'), /directory=\$\{TIERBENCH_FIO_DIR\}/)
    refused(() => assertJobFileSafe('[j]\nioengine=sg\n', 'evil'), /file ioengine/)
    expect(() => assertJobFileSafe('; c\n[global]\ndirectory=${TIERBENCH_FIO_DIR}\nioengine=libaio\n', 'ok')).not.toThrow()
  })
})
