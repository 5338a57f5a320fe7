import type { TierCapacities, TierPrediction, TraceWhatIf } from './trace-whatif'

// The what-if analysis as plain lines (CLI output and the suite's log).

const pct = (x: number) => `${(x * 100).toFixed(1)} %`
const tok = (t: number | null) => (t === null ? 'unknown' : t >= 1e6 ? `${(t / 1e6).toFixed(2)}M` : t >= 1e3 ? `${(t / 1e3).toFixed(1)}k` : `${Math.round(t)}`)
const bytes = (b: number | null) => (b === null ? 'unknown' : b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(1)} kB`)

export const formatWhatIf = (
  w: TraceWhatIf,
  capacities: Record<string, TierCapacities>,
  predictions: Record<string, TierPrediction>,
  capacitySource: string,
): string[] => {
  const lines = [
    `trace: ${w.rows} rows, ${w.accesses} block accesses, ${w.unique_blocks} distinct blocks of ${w.block_tokens} trace tokens (${tok(w.target_block_tokens)} tokens as replayed), ${tok(w.prompt_tokens)} prompt tokens` +
      (w.duration_s ? ` over ${w.duration_s.toFixed(1)} s (${w.requests_per_s!.toFixed(2)} req/s)` : ''),
    `ideal (infinite cache): ${pct(w.ideal_block_hit_ratio)} of blocks, ${pct(w.ideal_token_hit_ratio)} of prompt tokens; an LRU reaches it at ${w.blocks_for_ideal} blocks (${tok(w.blocks_for_ideal * w.target_block_tokens)} tokens${w.kv_bytes_per_token ? `, ${bytes(w.blocks_for_ideal * w.target_block_tokens * w.kv_bytes_per_token)}` : ''})`,
    `reuse distance (blocks): p50 ${w.reuse_distance_p50 ?? '-'}, p90 ${w.reuse_distance_p90 ?? '-'}, p99 ${w.reuse_distance_p99 ?? '-'}; cold ${pct(w.accesses ? w.cold_accesses / w.accesses : 0)} of accesses`,
    'LRU hit ratio by cache size:',
    '  cache_tokens  cache_bytes   token_hit  block_hit',
  ]
  const step = Math.max(1, Math.floor(w.curve.length / 12))
  const shown = w.curve.filter((_, i) => i % step === 0 || i === w.curve.length - 1)
  for (const p of shown)
    lines.push(`  ${tok(p.cache_tokens).padStart(12)}  ${bytes(p.cache_bytes).padStart(11)}  ${pct(p.token_hit_ratio).padStart(10)}  ${pct(p.block_hit_ratio).padStart(9)}`)
  lines.push('reuse distance distribution (share of block accesses):')
  lines.push(`  ${w.reuse.map((b) => `<${b.distance_hi}: ${pct(b.share)}`).join(', ')}${w.reuse.length ? ', ' : ''}cold: ${pct(w.accesses ? w.cold_accesses / w.accesses : 0)}`)
  lines.push(`tier capacities (${capacitySource}):`)
  for (const [mode, c] of Object.entries(capacities)) {
    const p = predictions[mode]
    lines.push(
      `  ${mode}: device ${tok(c.device_tokens)}, host ${tok(c.host_tokens)}, disk ${tok(c.disk_tokens)} tokens -> predicted cached ${pct(p?.token_hit_ratio ?? 0)}` +
        (p ? ` (device ${tok(p.device_hit_tokens)}, host ${tok(p.host_hit_tokens)}, disk ${tok(p.disk_hit_tokens)} tokens; disk reads ${bytes(p.disk_read_bytes)}, ${p.disk_read_bytes_per_s === null ? 'unknown' : `${bytes(p.disk_read_bytes_per_s)}/s`})` : ''),
    )
  }
  return lines
}
