import { existsSync, readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { z } from 'zod'

// Mooncake FAST'25 trace rows (fixtures/traces/README.md): timestamp in ms from trace start,
// token lengths, and one hash_id per 512-token block of the prompt (equal ids = equal blocks).

/** The conversation trace shipped with the project (Apache-2.0, gzipped JSONL), the default trace. */
export const BUNDLED_MOONCAKE_TRACE = fileURLToPath(new URL('../../fixtures/traces/mooncake-conversation.jsonl.gz', import.meta.url))

/** A trace file that cannot be read: one line naming the path. */
export class TraceFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TraceFileError'
  }
}

export const MooncakeRow = z.object({
  timestamp: z.number().nonnegative(),
  input_length: z.int().nonnegative(),
  output_length: z.int().nonnegative(),
  hash_ids: z.array(z.int().nonnegative()),
})
export type MooncakeRow = z.infer<typeof MooncakeRow>

export const MOONCAKE_BLOCK_TOKENS = 512

/** Parses JSONL, keeping the first `firstN` rows; errors name the line. */
export const parseMooncakeTrace = (text: string, firstN = Number.POSITIVE_INFINITY, source = 'trace'): MooncakeRow[] => {
  const rows: MooncakeRow[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length && rows.length < firstN; i++) {
    const line = lines[i].trim()
    if (!line) continue
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      throw new Error(`Expected JSON on ${source} line ${i + 1}, got ${JSON.stringify(line.slice(0, 60))}`)
    }
    const r = MooncakeRow.safeParse(json)
    if (!r.success) {
      const issue = r.error.issues[0]
      throw new Error(`Expected a Mooncake row on ${source} line ${i + 1} (${issue.path.join('.')}: ${issue.message}), got ${line.slice(0, 80)}`)
    }
    rows.push(r.data)
  }
  return rows
}

/** Reads a JSONL trace (`.gz` is gunzipped); a missing file or directory is one line naming the path. */
export const readMooncakeTrace = (path: string, firstN?: number): MooncakeRow[] => {
  if (!existsSync(path)) throw new TraceFileError(`Expected a Mooncake trace file at ${path}, got no such file`)
  if (!statSync(path).isFile()) throw new TraceFileError(`Expected a Mooncake trace file at ${path}, got a directory`)
  const bytes = readFileSync(path)
  let text: string
  try {
    text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')
  } catch (err) {
    throw new TraceFileError(`Expected gzip data in ${path}, got ${(err as Error).message}`)
  }
  return parseMooncakeTrace(text, firstN, path)
}
