import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

// Raw streams are appended whole lines per write(2) on an O_APPEND descriptor: a crash or Ctrl-C
// leaves every line that was written complete, and sequential suite processes appending to the
// same file never interleave partial lines.
export interface JsonlWriter {
  readonly path: string
  /**
   * `extra` (an object, usually one per phase) is added to the line's object when it is serialised,
   * so callers need not copy a record with a spread on the hot path (~5–14 µs per request record).
   */
  append(value: unknown, extra?: Record<string, unknown>): void
  /** Writes whatever a deferred writer still holds (a no-op for an immediate one). */
  flush(): void
  close(): void
}

export interface JsonlWriterOptions {
  /**
   * Queue values and serialise + write them together once per event-loop turn (setImmediate, after
   * the poll phase), instead of JSON.stringify + write(2) inside the caller. For the request stream:
   * the client's 'data' handlers have stamped every socket that was ready before this runs, so the
   * record of one request never delays the timestamps of others. Lines reach the file within one
   * loop turn, on close(), and at process exit; only a SIGKILL in that same turn can lose them.
   * @default false
   */
  deferred?: boolean
}

const pending = new Set<JsonlWriter>()

/** One JSON line; `extra`'s keys are appended to an object value's own (a later key wins on read, as with a spread). */
const line = (value: unknown, extra: Record<string, unknown> | undefined): string => {
  const text = JSON.stringify(value)
  if (!extra || typeof value !== 'object' || value === null || Array.isArray(value)) return text
  const more = JSON.stringify(extra)
  if (more === '{}') return text
  return text === '{}' ? more : `${text.slice(0, -1)},${more.slice(1)}`
}
let exitHook = false

export const createJsonlWriter = (path: string, opts: JsonlWriterOptions = {}): JsonlWriter => {
  mkdirSync(dirname(path), { recursive: true })
  let fd: number | null = openSync(path, 'a')
  let queue: unknown[] = []
  let extras: (Record<string, unknown> | undefined)[] = []
  let scheduled = false
  const flush = () => {
    scheduled = false
    pending.delete(writer)
    if (queue.length === 0 || fd === null) return
    const q = queue
    const x = extras
    queue = []
    extras = []
    let text = ''
    for (let i = 0; i < q.length; i++) text += `${line(q[i], x[i])}\n`
    writeSync(fd, text)
  }
  const writer: JsonlWriter = {
    path,
    append(value, extra) {
      if (fd === null) throw new Error(`Expected ${path} to be open, got a closed writer`)
      if (!opts.deferred) {
        writeSync(fd, `${line(value, extra)}\n`)
        return
      }
      queue.push(value)
      extras.push(extra)
      if (!scheduled) {
        scheduled = true
        pending.add(writer)
        setImmediate(flush)
        if (!exitHook) {
          exitHook = true
          // Synchronous, so it still runs on process.exit(): nothing queued is lost on a normal exit.
          process.on('exit', () => {
            for (const w of [...pending]) w.flush()
          })
        }
      }
    },
    flush,
    close() {
      flush()
      if (fd !== null) closeSync(fd)
      fd = null
    },
  }
  return writer
}

/** Appends one line and closes: for rare events (phases, gates) from any process. */
export const appendJsonl = (path: string, value: unknown): void => {
  const w = createJsonlWriter(path)
  try {
    w.append(value)
  } finally {
    w.close()
  }
}
