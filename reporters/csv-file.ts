import { writeFileSync } from 'node:fs'
import { stringify } from 'csv-stringify/sync'
import type { FigureSpec } from './figure-catalog'
import type { FigureRow } from './figure-data'

// Writes a figure's rows with the catalog's column order (null → empty cell), so every CSV of a
// figure has the same header whichever suite produced it. The last column, `emulated`, is on every
// row: a CSV copied out of its bundle still says it came from kvsim.
export const writeFigureCsv = (path: string, spec: FigureSpec, rows: FigureRow[], emulated: boolean): void => {
  const names = spec.columns.map((c) => c.name)
  const body = rows.map((row) => [...names.map((n) => (row[n] === null || row[n] === undefined ? '' : row[n])), String(emulated)])
  writeFileSync(path, stringify([[...names, 'emulated'], ...body]))
}
