import { mkdtempSync, openSync, closeSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { counterDeltas, parsePromValues } from '../../../helpers/target/dynamo-kvbm-metrics'
import { diskTierFds, fdTargets, localDescendants, localOpenFiles, verifyBackendMode } from '../../../helpers/target/dynamo-verify-mode'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { execa } from 'execa'
import { existsSync, readdirSync } from 'node:fs'

describe('mode verification helpers', () => {
  test('fd targets come from ls -l lines and keep the (deleted) mark', () => {
    const lines = [
      'total 0',
      'lr-x------ 1 root root 64 Nov 22 16:00 0 -> /dev/null',
      'lrwx------ 1 root root 64 Nov 22 16:00 3 -> socket:[1]',
      'lrwx------ 1 root root 64 Nov 22 16:00 9 -> /mnt/nvme/kvbm/dynamo-kvbm-disk-cache-x1 (deleted)',
    ]
    expect(fdTargets(lines)).toEqual(['/dev/null', '/mnt/nvme/kvbm/dynamo-kvbm-disk-cache-x1 (deleted)'])
  })

  test('a disk-tier fd is one under the cache dir or a KVBM disk-cache file anywhere, not a sibling dir', () => {
    const fds = ['/mnt/nvme/kvbm/a', '/mnt/nvme/kvbm2/b', '/tmp/dynamo-kvbm-disk-cache-Zz (deleted)', '/dev/nvidia0']
    expect(diskTierFds(fds, '/mnt/nvme/kvbm/')).toEqual(['/mnt/nvme/kvbm/a', '/tmp/dynamo-kvbm-disk-cache-Zz (deleted)'])
  })

  test('localOpenFiles sees an unlinked file this process holds open under a cache dir', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tierbench-fds-'))
    const file = join(dir, 'dynamo-kvbm-disk-cache-test')
    const fd = openSync(file, 'w')
    unlinkSync(file)
    try {
      expect(diskTierFds(localOpenFiles(process.pid), dir)).toEqual([`${file} (deleted)`])
    } finally {
      closeSync(fd)
      rmSync(dir, { recursive: true, force: true })
    }
    expect(diskTierFds(localOpenFiles(process.pid), dir)).toEqual([])
  })

  test('localOpenFiles fails closed when the worker itself cannot be inspected', () => {
    expect(() => localOpenFiles(2 ** 22 + 12345)).toThrow(/MODE_NOT_VERIFIED: Expected to list \/proc\/\d+\/fd/)
  })

  test('Prometheus values are summed over labels and counter deltas clamp at zero', () => {
    const text = '# TYPE kvbm_matched_tokens counter\nkvbm_matched_tokens 10\nx{a="1"} 2\nx{a="2"} 3\nbad NaN\n'
    const v = parsePromValues(text)
    expect(v.get('kvbm_matched_tokens')).toBe(10)
    expect(v.get('x')).toBe(5)
    expect(v.has('bad')).toBe(false)
    expect(counterDeltas(new Map([['a', 5], ['b', 1]]), new Map([['a', 7], ['b', 0]]), ['a', 'b', 'c'])).toEqual({ a: 2, b: 0, c: 0 })
  })

  // TRT-LLM's executor (which holds KVBM's disk-tier file) can be a grandchild of the worker.
  test.skipIf(!existsSync(`/proc/${process.pid}/task/${process.pid}/children`))(
    'localOpenFiles sees an unlinked file held by a grandchild, and localDescendants lists it',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tierbench-fds-'))
      const file = join(dir, 'dynamo-kvbm-disk-cache-grandchild')
      // worker (sh) -> child (sh) -> grandchild (sleep holding fd 3 on the unlinked file; nobody else holds it)
      const worker = execa('sh', ['-c', `sh -c '(exec 3>"$1"; rm -f "$1"; exec sleep 30) & wait' sh ${file} & wait`], { reject: false })
      try {
        let found: string[] = []
        for (let i = 0; i < 100 && found.length === 0; i++) {
          await new Promise((r) => setTimeout(r, 50))
          found = diskTierFds(localOpenFiles(worker.pid!), dir)
        }
        expect(found).toEqual([`${file} (deleted)`])
        expect(localDescendants(worker.pid!).length).toBeGreaterThanOrEqual(2)
        expect(readdirSync(dir)).toEqual([])
      } finally {
        for (const p of localDescendants(worker.pid!)) process.kill(p, 'SIGKILL')
        worker.kill('SIGKILL')
        await worker
        rmSync(dir, { recursive: true, force: true })
      }
    },
  )

  test('a non-KVBM backend mode is verified by its own metric families on the system port and by the disk-tier fds', async () => {
    const srv = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('# TYPE sglang:prompt_tokens_total counter\nsglang:prompt_tokens_total{model_name="m"} 5\n# TYPE sglang:hicache_host_used_tokens gauge\nsglang:hicache_host_used_tokens 3\n')
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/metrics`
    const base = { mode: 'B1' as const, backend: 'sglang-hicache' as const, metricsUrl: url, cacheDir: '/mnt/nvme/kvbm', listOpenFiles: async () => ['/dev/null'] }
    try {
      const ok = await verifyBackendMode({ ...base, spec: { requiredMetricFamilies: ['sglang:prompt_tokens_total', 'sglang:hicache_host_used_tokens'], diskDirHeldOpen: false, oDirect: null } })
      expect(ok.evidence).toEqual([
        `B1: ${url} exports sglang:prompt_tokens_total, sglang:hicache_host_used_tokens (sglang-hicache)`,
        'B1: no file under /mnt/nvme/kvbm open by the worker or its descendants',
      ])
      await expect(
        verifyBackendMode({ ...base, spec: { requiredMetricFamilies: ['sglang:backuped_tokens_total'], diskDirHeldOpen: null, oDirect: null } }),
      ).rejects.toThrow(/MODE_NOT_VERIFIED: Expected sglang-hicache metric families sglang:backuped_tokens_total at .* in B1, got no sglang:backuped_tokens_total/)
      await expect(
        verifyBackendMode({ ...base, listOpenFiles: async () => ['/mnt/nvme/kvbm/page-1'], spec: { requiredMetricFamilies: [], diskDirHeldOpen: false, oDirect: null } }),
      ).rejects.toThrow(/B1_DISK_TIER_ACTIVE: .*\/mnt\/nvme\/kvbm\/page-1/)
      await expect(
        verifyBackendMode({ ...base, metricsUrl: null, spec: { requiredMetricFamilies: ['sglang:prompt_tokens_total'], diskDirHeldOpen: null, oDirect: null } }),
      ).rejects.toThrow(/MODE_NOT_VERIFIED: Expected ports\.system set to scrape/)
    } finally {
      await new Promise((r) => srv.close(r))
    }
  })
})
