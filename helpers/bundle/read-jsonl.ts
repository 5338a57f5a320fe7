import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'

// Readers tolerate a torn last line (the run was killed mid-write) and say how many they skipped.
export interface JsonlReadResult<T> {
  rows: T[]
  skipped: number
}

export const readJsonlSync = <T = unknown>(path: string): JsonlReadResult<T> => {
  if (!existsSync(path)) return { rows: [], skipped: 0 }
  const rows: T[] = []
  let skipped = 0
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue
    try {
      rows.push(JSON.parse(line) as T)
    } catch {
      skipped++
    }
  }
  return { rows, skipped }
}

/** Streams a large JSONL file line by line; `onRow` returning false stops early. */
export const forEachJsonl = async <T = unknown>(path: string, onRow: (row: T) => void | boolean): Promise<{ rows: number; skipped: number }> => {
  if (!existsSync(path)) return { rows: 0, skipped: 0 }
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 }), crlfDelay: Infinity })
  let rows = 0
  let skipped = 0
  for await (const line of rl) {
    if (!line) continue
    let row: T
    try {
      row = JSON.parse(line) as T
    } catch {
      skipped++
      continue
    }
    rows++
    if (onRow(row) === false) {
      rl.close()
      break
    }
  }
  return { rows, skipped }
}
