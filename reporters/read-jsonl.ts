import { createReadStream, existsSync } from 'node:fs'

export interface JsonlReadStats {
  /** Lines parsed and handed to the callback. */
  rows: number
  /** Lines that did not parse (other than a truncated last line). */
  bad_lines: number
  /** 1 when the last line was cut short (a crash or Ctrl-C mid-write), else 0. */
  truncated_last: number
  /** Line numbers (1-based) of the first few unparseable lines, for the report. */
  bad_line_numbers: number[]
}

// Streams a JSONL file line by line so a 1 GB requests.jsonl is never held as one string. A cut-off
// last line is what a crash leaves behind: it is skipped and counted, not treated as corruption.
// Lines are cut from raw Buffer chunks (indexOf 0x0a) rather than through readline, which costs
// about a third of a 10^6-line scan.
export interface JsonlRange {
  /** First byte (a line start). */
  start: number
  /** One past the last byte (a line end + 1, or the file size). */
  end: number
}

export const readJsonl = async (path: string, onRow: (row: unknown, lineNo: number) => void, range?: JsonlRange): Promise<JsonlReadStats> => {
  const stats: JsonlReadStats = { rows: 0, bad_lines: 0, truncated_last: 0, bad_line_numbers: [] }
  if (!existsSync(path)) return stats
  let lineNo = 0
  let pendingBad = 0
  const handle = (line: string) => {
    lineNo++
    if (pendingBad) {
      // The previous bad line was not the last one, so it was real corruption.
      stats.bad_lines++
      if (stats.bad_line_numbers.length < 10) stats.bad_line_numbers.push(pendingBad)
      pendingBad = 0
    }
    if (line.length === 0 || line.trim().length === 0) return
    let row: unknown
    try {
      row = JSON.parse(line)
    } catch {
      pendingBad = lineNo
      return
    }
    stats.rows++
    onRow(row, lineNo)
  }
  let rest: Buffer | null = null
  const stream = range ? createReadStream(path, { highWaterMark: 1 << 22, start: range.start, end: Math.max(range.start, range.end - 1) }) : createReadStream(path, { highWaterMark: 1 << 22 })
  if (range && range.end <= range.start) return stats
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk
    let i = 0
    let j: number
    while ((j = buf.indexOf(10, i)) >= 0) {
      handle(buf.toString('utf8', i, j > i && buf[j - 1] === 13 ? j - 1 : j))
      i = j + 1
    }
    rest = i < buf.length ? buf.subarray(i) : null
  }
  if (rest && rest.length) handle(rest.toString('utf8'))
  if (pendingBad) stats.truncated_last = 1
  return stats
}

// Small JSONL files (phases, gates, events): all rows in memory, same tolerance as readJsonl.
export const readJsonlRows = async <T = unknown>(path: string): Promise<{ rows: T[]; stats: JsonlReadStats }> => {
  const rows: T[] = []
  const stats = await readJsonl(path, (row) => rows.push(row as T))
  return { rows, stats }
}
