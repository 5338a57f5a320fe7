import { ConfigError } from './config-error'
import { didYouMean } from './did-you-mean'
import { loadRunConfig } from './load-run-config'

// Runs in vitest.config.ts, before Vitest starts anything: a bad configuration or an unknown tag
// becomes one short block of text and exit code 2, instead of Vitest's "No test files found", a
// stack trace per worker, and an empty bundle pointed at by results/latest.

/** Vitest options that take a value (so the value is not read as a file filter). */
const VALUE_OPTIONS = new Set(['--project', '--tags-filter', '-t', '--testNamePattern', '--reporter', '--config', '-c', '--root', '-r', '--dir', '--pool', '--shard', '--outputFile', '--exclude', '--maxWorkers', '--environment', '--mode', '--bail', '--retry', '--testTimeout', '--hookTimeout'])

export interface Invocation {
  projects: string[]
  tagFilters: string[]
  files: string[]
}

export const parseVitestArgv = (argv: readonly string[]): Invocation => {
  const inv: Invocation = { projects: [], tagFilters: [], files: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const eq = a.startsWith('--') ? a.indexOf('=') : -1
    const [name, inline] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined]
    if (VALUE_OPTIONS.has(name)) {
      const v = inline ?? argv[++i]
      if (v === undefined) continue
      if (name === '--project') inv.projects.push(v)
      if (name === '--tags-filter') inv.tagFilters.push(v)
    } else if (!a.startsWith('-') && !['run', 'watch', 'dev', 'related', 'bench'].includes(a)) inv.files.push(a)
  }
  return inv
}

/** True when this Vitest run may run suites (so the run configuration matters). */
export const selectsSuites = (inv: Invocation): boolean => {
  if (inv.projects.length > 0 && !inv.projects.some((p) => p === 'suites' || p.includes('*'))) return false
  if (inv.files.length > 0 && inv.files.every((f) => /^(\.\/)?(test|bench)\//.test(f))) return false
  return true
}

/** Names a tag expression refers to (`h2b && !slow`, `dataset:S or mode:B2*`). */
export const tagNamesIn = (expr: string): string[] =>
  expr
    .split(/&&|\|\||[!()\s]+/)
    .map((t) => t.trim())
    .filter((t) => t !== '' && !['and', 'or', 'not'].includes(t.toLowerCase()))

const matches = (pattern: string, name: string) =>
  pattern.includes('*') ? new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(name) : pattern === name

/** One line for the first unknown tag pattern, or null when every pattern names a defined tag. */
export const checkTagFilters = (filters: readonly string[], defined: readonly string[]): string | null => {
  for (const f of filters)
    for (const t of tagNamesIn(f))
      if (!defined.some((d) => matches(t, d))) {
        const near = didYouMean(t, defined)
        return `tierbench: unknown tag "${t}" in --tags-filter "${f}"${near ? ` (did you mean ${near}?)` : ''}; defined tags: ${defined.join(', ')}`
      }
  return null
}

/** The text to print (and exit 2 with) when this invocation must not start, else null. */
export const checkInvocation = (argv: readonly string[], opts: { cwd: string; env: Record<string, string | undefined>; tags: readonly string[] }): string | null => {
  const inv = parseVitestArgv(argv)
  const tagError = checkTagFilters(inv.tagFilters, opts.tags)
  if (tagError) return tagError
  if (!selectsSuites(inv)) return null
  try {
    loadRunConfig({ cwd: opts.cwd, env: opts.env })
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e
    return `tierbench: ${e.message}\nNothing was started. Fix the fields above (docs/configuration.md lists every setting) and run again.`
  }
  return null
}
