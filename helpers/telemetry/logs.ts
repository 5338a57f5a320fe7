import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'

// Tees a target's stdout/stderr into <suite>/logs/<name>.{stdout,stderr}.log while leaving the
// streams readable for whoever else listens (readiness probes grep them).
export interface LogTee {
  files: string[]
  close(): Promise<void>
}

export const teeProcessLogs = (
  child: { stdout?: Readable | null; stderr?: Readable | null },
  logsDir: string,
  name: string,
): LogTee => {
  mkdirSync(logsDir, { recursive: true })
  const streams: WriteStream[] = []
  const files: string[] = []
  for (const which of ['stdout', 'stderr'] as const) {
    const src = child[which]
    if (!src) continue
    const file = join(logsDir, `${name}.${which}.log`)
    const out = createWriteStream(file, { flags: 'a' })
    src.on('data', (chunk: Buffer) => out.write(chunk))
    streams.push(out)
    files.push(file)
  }
  return {
    files,
    close: () => Promise.all(streams.map((s) => new Promise<void>((res) => s.end(res)))).then(() => undefined),
  }
}
