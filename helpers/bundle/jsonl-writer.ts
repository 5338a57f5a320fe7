import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

// Raw streams are appended one whole line per write(2) on an O_APPEND descriptor: a crash or
// Ctrl-C leaves every line that was written complete, and sequential suite processes appending
// to the same file never interleave partial lines.
export interface JsonlWriter {
  readonly path: string
  append(value: unknown): void
  close(): void
}

export const createJsonlWriter = (path: string): JsonlWriter => {
  mkdirSync(dirname(path), { recursive: true })
  let fd: number | null = openSync(path, 'a')
  return {
    path,
    append(value) {
      if (fd === null) throw new Error(`Expected ${path} to be open, got a closed writer`)
      writeSync(fd, `${JSON.stringify(value)}\n`)
    },
    close() {
      if (fd !== null) closeSync(fd)
      fd = null
    },
  }
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
