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
      kv_connector_extra_config: { 'lmcache.chunk_size': 256, 'lmcache.local_cpu': true, 'lmcache.max_local_cpu_size': 7.451 },
    })
    expect(c.env).toEqual({ LMCACHE_CONFIG_FILE: undefined, LMCACHE_LOCAL_DISK: undefined, LMCACHE_LOCAL_CPU: undefined, PROMETHEUS_MULTIPROC_DIR: '/scratch/kv.prom' })
    expect(c.files).toEqual([{ name: 'lmcache-B1.yaml', content: 'chunk_size: 256\nlocal_cpu: true\nmax_local_cpu_size: 7.451\n' }])
  })

  it('v1 B2 adds an O_DIRECT local disk in the cache dir; B3 turns the CPU cache off', () => {
    expect(v1.configure('B2', PLAN, CTX).kvTransferConfig?.kv_connector_extra_config).toEqual({
      'lmcache.chunk_size': 256,
      'lmcache.local_cpu': true,
      'lmcache.max_local_cpu_size': 7.451,
      'lmcache.local_disk': 'file:///scratch/kv/',
      'lmcache.max_local_disk_size': 29.802,
      'lmcache.extra_config': { use_odirect: true },
    })
    expect(v1.configure('B3', DISK_ONLY_PLAN, CTX).kvTransferConfig?.kv_connector_extra_config).toEqual({
      'lmcache.chunk_size': 256,
      'lmcache.local_cpu': false,
      'lmcache.local_disk': 'file:///scratch/kv/',
      'lmcache.max_local_disk_size': 29.802,
      'lmcache.extra_config': { use_odirect: true },
    })
  })

  // Sizes are GiB in LMCache (× 1024³): the plan's 8e9 host bytes are 7.451 GiB, 32e9 disk bytes 29.802 GiB.
  it('MP starts an lmcache server sidecar: L1 only in B1, fs_native L2 in B2, skip_l1 + noop in B3, with the eviction policy it requires', () => {
    const b1 = mp.configure('B1', PLAN, CTX)
    expect(b1.kvTransferConfig).toEqual({ kv_connector: 'LMCacheMPConnector', kv_role: 'kv_both' })
    expect(b1.sidecars?.[0]?.command).toEqual(['lmcache', 'server', '--host', '127.0.0.1', '--port', '5555', '--chunk-size', '256', '--l1-size-gb', '7.451', '--eviction-policy', 'LRU', '--prometheus-port', '6880'])
    expect(mp.configure('B2', PLAN, CTX).sidecars?.[0]?.command.slice(10)).toEqual([
      '--l2-adapter',
      '{"type":"fs_native","base_path":"/scratch/kv","use_odirect":true,"max_capacity_gb":29.802}',
      '--l2-store-policy',
      'default',
      '--eviction-policy',
      'LRU',
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

  // Newer LMCache (observability.py after the rename) spells the v1 counters differently and splits
  // stores and retrievals by storage backend; older builds have neither the names nor the split.
  it('v1 reads the renamed counters and takes host and disk hits from the per-backend split; the old names still work, with no split', async () => {
    const { parsePrometheusText } = await import('../../../helpers/telemetry/prometheus-parser')
    const v1 = createLmcacheBackend({ variant: 'v1' })
    const renamed = parsePrometheusText(
      [
        '# TYPE lmcache:num_store_stored_tokens_total counter',
        'lmcache:num_store_stored_tokens_total{model_name="m",worker_id="0"} 4096',
        '# TYPE lmcache:num_retrieve_retrieved_tokens_total counter',
        'lmcache:num_retrieve_retrieved_tokens_total{model_name="m",worker_id="0"} 1536',
        '# TYPE lmcache:num_store_stored_tokens_by_backend_total counter',
        'lmcache:num_store_stored_tokens_by_backend_total{backend="LocalCPUBackend"} 4096',
        'lmcache:num_store_stored_tokens_by_backend_total{backend="LocalDiskBackend"} 3072',
        '# TYPE lmcache:num_retrieve_retrieved_tokens_by_backend_total counter',
        'lmcache:num_retrieve_retrieved_tokens_by_backend_total{backend="LocalCPUBackend"} 1024',
        'lmcache:num_retrieve_retrieved_tokens_by_backend_total{backend="LocalDiskBackend"} 512',
        '# TYPE lmcache:num_vllm_hit_tokens_total counter',
        'lmcache:num_vllm_hit_tokens_total 256',
      ].join('\n'),
    )
    expect(v1.normalise(renamed)).toMatchObject({
      offload_device_to_host_tokens: 4096,
      offload_host_to_disk_tokens: 3072,
      onboard_host_to_device_tokens: 1024,
      onboard_disk_to_device_tokens: 512,
      cached_prompt_tokens_offloaded: 1536,
      cached_prompt_tokens_total: 256 + 1536,
    })
    const old = parsePrometheusText(
      ['# TYPE lmcache:num_stored_tokens_total counter', 'lmcache:num_stored_tokens_total 100', '# TYPE lmcache:num_hit_tokens_total counter', 'lmcache:num_hit_tokens_total 40'].join('\n'),
    )
    // No split and no disk byte counters: unavailable (the gates fall back to OS evidence), never 0.
    expect(v1.normalise(old)).toMatchObject({ offload_device_to_host_tokens: 100, cached_prompt_tokens_offloaded: 40, onboard_disk_to_device_tokens: null, onboard_host_to_device_tokens: null })
    expect(v1.verification('B2').requiredMetricFamilies).toEqual(['lmcache:num_vllm_hit_tokens_total'])
  })
})
