// nvidia-smi output parsers. On GB10 (unified memory) framebuffer figures print `[N/A]` or
// `Not Supported`: those become null, never 0.
export const GPU_QUERY_FIELDS = [
  'index',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'power.draw',
  'clocks.sm',
  'clocks.mem',
  'temperature.gpu',
] as const

export const parseSmiNumber = (raw: string | undefined): number | null => {
  if (raw === undefined) return null
  const s = raw.trim()
  if (s === '' || /^\[?N\/A\]?$/i.test(s) || /not supported|unknown error|insufficient permissions|^-$/i.test(s)) return null
  const m = /^[+-]?\d+(\.\d+)?/.exec(s)
  return m ? Number(m[0]) : null
}

/** `--query-gpu=… --format=csv[,noheader][,nounits]`: one record per line, keyed by field name. */
export const parseNvidiaSmiCsv = (text: string, fields?: readonly string[]): Record<string, number | string | null>[] => {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean)
  let names = fields ? [...fields] : null
  const out: Record<string, number | string | null>[] = []
  for (const line of lines) {
    const cells = line.split(',').map((c) => c.trim())
    // A header line names fields, possibly with units: "memory.used [MiB]".
    if (cells.some((c) => /^[a-z_]+(\.[a-z_]+)+( \[.*\])?$/i.test(c) || c === 'timestamp' || c === 'index' || c === 'name')) {
      if (cells.every((c) => /^[a-z_.]+( \[.*\])?$/i.test(c))) {
        names = cells.map((c) => c.replace(/ \[.*\]$/, ''))
        continue
      }
    }
    if (!names) throw new Error(`Expected a header line or field names for nvidia-smi CSV, got ${JSON.stringify(line.slice(0, 60))}`)
    const rec: Record<string, number | string | null> = {}
    names.forEach((n, i) => {
      const c = cells[i]
      rec[n] = n === 'name' || n === 'timestamp' || n === 'uuid' || n === 'pci.bus_id' ? (c ?? null) : parseSmiNumber(c)
    })
    out.push(rec)
  }
  return out
}

/** `nvidia-smi dmon`: two `#` header lines (names, units) then whitespace-separated rows. */
export const parseNvidiaSmiDmon = (text: string): Record<string, number | null>[] => {
  const lines = text.split('\n').filter((l) => l.trim())
  const header = lines.find((l) => l.startsWith('#'))
  if (!header) throw new Error('Expected a "# gpu …" header in nvidia-smi dmon output, got none')
  const names = header.replace(/^#\s*/, '').trim().split(/\s+/)
  return lines
    .filter((l) => !l.startsWith('#'))
    .map((l) => {
      const cells = l.trim().split(/\s+/)
      return Object.fromEntries(names.map((n, i) => [n, parseSmiNumber(cells[i])]))
    })
}

/** A few identity fields of `nvidia-smi -q -x` for provenance (regex: the XML is flat enough). */
export const parseNvidiaSmiXml = (xml: string): Record<string, string | number | null> => {
  const tag = (t: string) => {
    const m = new RegExp(`<${t}>([^<]*)</${t}>`).exec(xml)
    return m ? m[1].trim() : null
  }
  const fb = /<fb_memory_usage>([\s\S]*?)<\/fb_memory_usage>/.exec(xml)?.[1] ?? ''
  const fbTag = (t: string) => parseSmiNumber(new RegExp(`<${t}>([^<]*)</${t}>`).exec(fb)?.[1])
  return {
    driver_version: tag('driver_version'),
    cuda_version: tag('cuda_version'),
    product_name: tag('product_name'),
    memory_total_mib: fbTag('total'),
    memory_used_mib: fbTag('used'),
  }
}
