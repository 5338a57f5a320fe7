// Parses fio `--output-format=json+`. fio stopped by SIGINT prefixes the JSON with
// "fio: terminating on signal 2", so the document starts at the first line-leading '{'.
export interface FioDirection {
  io_bytes: number
  bw_bytes_s: number
  iops: number
  clat_p50_us: number | null
  clat_p99_us: number | null
  clat_p999_us: number | null
  clat_mean_us: number | null
}

export interface FioResult {
  profile: string
  /** Run-clock ms. */
  t_start_ms: number
  t_end_ms: number
  runtime_ms: number | null
  read: FioDirection
  write: FioDirection
  json_file: string | null
  exit_code: number | null
  errors: string[]
}

export const extractFioJson = (text: string): unknown => {
  const i = text.startsWith('{') ? 0 : text.indexOf('\n{') + 1
  if (i <= 0 && !text.startsWith('{')) throw new Error(`Expected fio JSON output, got ${JSON.stringify(text.slice(0, 80))}`)
  return JSON.parse(text.slice(i))
}

const dir = (d: Record<string, any> | undefined): FioDirection => {
  const pct = d?.clat_ns?.percentile as Record<string, number> | undefined
  const us = (k: string) => (pct && typeof pct[k] === 'number' ? pct[k] / 1000 : null)
  return {
    io_bytes: d?.io_bytes ?? 0,
    bw_bytes_s: d?.bw_bytes ?? 0,
    iops: d?.iops ?? 0,
    clat_p50_us: us('50.000000'),
    clat_p99_us: us('99.000000'),
    clat_p999_us: us('99.900000'),
    clat_mean_us: typeof d?.clat_ns?.mean === 'number' && d.io_bytes > 0 ? d.clat_ns.mean / 1000 : null,
  }
}

/** Figures of the first job (profiles use group_reporting, so there is one). */
export const parseFioJson = (text: string): Pick<FioResult, 'read' | 'write' | 'runtime_ms' | 'errors'> => {
  const j = extractFioJson(text) as { jobs?: Record<string, any>[] }
  const job = j.jobs?.[0]
  if (!job) throw new Error('Expected at least one job in fio JSON, got none')
  return {
    read: dir(job.read),
    write: dir(job.write),
    runtime_ms: typeof job.elapsed === 'number' ? job.elapsed * 1000 : null,
    errors: job.error ? [`fio job error ${job.error}`] : [],
  }
}
