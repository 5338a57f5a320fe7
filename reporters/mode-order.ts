import { KV_MODE_LABELS, KvModeId } from '../helpers/config/kv-mode'

// Stable mode order and labels for tables and legends (B0 < B1 < B2 < B2' < B3, unknown modes last).
const ORDER = KvModeId.options as readonly string[]

export const compareModes = (a: string, b: string): number => {
  const ia = ORDER.indexOf(a)
  const ib = ORDER.indexOf(b)
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b)
}

export const modeLabel = (mode: string): string => (KV_MODE_LABELS as Record<string, string>)[mode] ?? mode
