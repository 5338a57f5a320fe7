import { describe, expect, it } from 'vitest'
import { createLmcacheBackend } from '../../../helpers/backends/lmcache'
import { CTX, DISK_ONLY_PLAN, NO_TIERS_PLAN, PLAN } from './backend-test-plans'

describe('LMCache backend configuration', () => {
  const v1 = createLmcacheBackend()
  const mp = createLmcacheBackend({ variant: 'mp' })

  it('B0 loads no connector in either variant', () => {
    for (const b of [v1, mp]) {
      const c = b.configure('B0', NO_TIERS_PLAN, CTX)
      expect(c.kvTransferConfig).toBeNull()
      expect(c.sidecars).toBeUndefined()
    }
  })

  it('v1 B1 configures the CPU tier through lmcache.* keys and a shared Prometheus dir', () => {
    const c = v1.configure('B1', PLAN, CTX)
    expect(c.kvTransferConfig).toEqual({
      kv_connector: 'LMCacheConnectorV1',
      kv_role: 'kv_both',
      kv_connector_extra_config: { 'lmcache.chunk_size': 256, 'lmcache.local_cpu': true, 'lmcache.max_local_cpu_size': 8 },
    })
    expect(c.env).toEqual({ LMCACHE_CONFIG_FILE: undefined, LMCACHE_LOCAL_DISK: undefined, LMCACHE_LOCAL_CPU: undefined, PROMETHEUS_MULTIPROC_DIR: '/scratch/kv.prom' })
    expect(c.files).toEqual([{ name: 'lmcache-B1.yaml', content: 'chunk_size: 256\nlocal_cpu: true\nmax_local_cpu_size: 8\n' }])
  })

  it('v1 B2 adds an O_DIRECT local disk in the cache dir; B3 turns the CPU cache off', () => {
    expect(v1.configure('B2', PLAN, CTX).kvTransferConfig?.kv_connector_extra_config).toEqual({
      'lmcache.chunk_size': 256,
      'lmcache.local_cpu': true,
      'lmcache.max_local_cpu_size': 8,
      'lmcache.local_disk': 'file:///scratch/kv/',
      'lmcache.max_local_disk_size': 32,
      'lmcache.extra_config': { use_odirect: true },
    })
    expect(v1.configure('B3', DISK_ONLY_PLAN, CTX).kvTransferConfig?.kv_connector_extra_config).toEqual({
      'lmcache.chunk_size': 256,
      'lmcache.local_cpu': false,
      'lmcache.local_disk': 'file:///scratch/kv/',
      'lmcache.max_local_disk_size': 32,
      'lmcache.extra_config': { use_odirect: true },
    })
  })

  it('MP starts an lmcache server sidecar: L1 only in B1, fs_native L2 in B2, skip_l1 + noop in B3', () => {
    const b1 = mp.configure('B1', PLAN, CTX)
    expect(b1.kvTransferConfig).toEqual({ kv_connector: 'LMCacheMPConnector', kv_role: 'kv_both' })
    expect(b1.sidecars?.[0]?.command).toEqual(['lmcache', 'server', '--host', '127.0.0.1', '--port', '5555', '--chunk-size', '256', '--l1-size-gb', '8', '--prometheus-port', '6880'])
    expect(mp.configure('B2', PLAN, CTX).sidecars?.[0]?.command.slice(10)).toEqual([
      '--l2-adapter',
      '{"type":"fs_native","base_path":"/scratch/kv","use_odirect":true,"max_capacity_gb":32}',
      '--l2-store-policy',
      'default',
      '--prometheus-port',
      '6880',
    ])
    expect(mp.configure('B3', DISK_ONLY_PLAN, CTX).sidecars?.[0]?.command).toEqual(expect.arrayContaining(['--l1-size-gb', '1', 'skip_l1', '--eviction-policy', 'noop']))
  })

  it("refuses B2' in both variants: no admission filter to switch off", () => {
    for (const b of [v1, mp]) expect(() => b.configure('B2p', PLAN, CTX)).toThrow(/no reuse-count admission filter/)
  })
})

describe('LMCache normalisers', () => {
  it('MP mode splits L1 (host) from L2 (disk), in chunks of chunk_size tokens, prefetches taken out of the host figures', async () => {
    const { parsePrometheusText } = await import('../../../helpers/telemetry/prometheus-parser')
    const scrape = parsePrometheusText(
      [
        '# TYPE lmcache_mp_l1_write_chunks_total counter',
        'lmcache_mp_l1_write_chunks_total 10',
        '# TYPE lmcache_mp_l1_read_chunks_total counter',
        'lmcache_mp_l1_read_chunks_total 6',
        '# TYPE lmcache_mp_l2_store_completed_objects_chunks_total counter',
        'lmcache_mp_l2_store_completed_objects_chunks_total{l2_name="fs_native"} 4',
        '# TYPE lmcache_mp_l2_prefetch_load_completed_chunks_total counter',
        'lmcache_mp_l2_prefetch_load_completed_chunks_total 2',
        '# TYPE lmcache_mp_lookup_hit_tokens_total counter',
        'lmcache_mp_lookup_hit_tokens_total 2048',
      ].join('\n'),
    )
    expect(createLmcacheBackend({ variant: 'mp' }).normalise(scrape)).toMatchObject({
      offload_device_to_host_tokens: 8 * 256,
      offload_host_to_disk_tokens: 4 * 256,
      onboard_disk_to_device_tokens: 2 * 256,
      onboard_host_to_device_tokens: 4 * 256,
      cached_prompt_tokens_disk: 2 * 256,
      cached_prompt_tokens_offloaded: 2048,
    })
  })
})
