import { request } from 'undici'

// Just enough Prometheus text parsing to verify a mode: KVBM metrics have no labels and counters
// have no `_total` suffix, so a name → value map (summed over any labels) is all the verifier needs.
// Phase deltas use the telemetry module's full parser; this one must not depend on it.

export const KVBM_REQUIRED_METRICS = ['kvbm_offload_blocks_h2d', 'kvbm_onboard_blocks_d2d', 'kvbm_matched_tokens'] as const
/** Counters that move only when the disk tier (G3) is in use. */
export const KVBM_DISK_COUNTERS = ['kvbm_offload_blocks_h2d', 'kvbm_offload_blocks_d2d', 'kvbm_onboard_blocks_d2d'] as const

export const parsePromValues = (text: string): Map<string, number> => {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    const l = line.trim()
    if (!l || l.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(l)
    if (!m) continue
    const v = Number(m[3])
    if (!Number.isFinite(v)) continue
    out.set(m[1], (out.get(m[1]) ?? 0) + v)
  }
  return out
}

export type ScrapeResult =
  | { ok: true; status: number; text: string; values: Map<string, number> }
  | { ok: false; status: number | null; error: string }

export const scrapeMetrics = async (url: string, timeoutMs = 5000): Promise<ScrapeResult> => {
  try {
    const res = await request(url, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
    const text = await res.body.text()
    if (res.statusCode !== 200) return { ok: false, status: res.statusCode, error: `HTTP ${res.statusCode}` }
    return { ok: true, status: res.statusCode, text, values: parsePromValues(text) }
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    return { ok: false, status: null, error: e.code ?? e.message }
  }
}

export const counterDeltas = (before: Map<string, number>, after: Map<string, number>, names: readonly string[]) =>
  Object.fromEntries(names.map((n) => [n, Math.max(0, (after.get(n) ?? 0) - (before.get(n) ?? 0))])) as Record<string, number>
