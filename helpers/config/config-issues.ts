import type { z } from 'zod'
import type { ConfigIssue } from './config-error'
import { getPath, type MergedConfig, sourceOf } from './layered-merge'

// Turns zod issues on the merged config into `Expected … got …` lines that name the layer to fix.

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing (missing)'
  const s = JSON.stringify(v)
  return s === undefined ? String(v) : s.length > 120 ? `${s.slice(0, 117)}...` : s
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`)

const expectedOf = (issue: z.core.$ZodIssue): string => {
  switch (issue.code) {
    case 'invalid_type':
      return article(issue.expected)
    case 'invalid_value':
      return issue.values.length === 1 ? show(issue.values[0]) : `one of ${issue.values.map(String).join('|')}`
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `at least ${issue.minimum} ${issue.origin === 'array' ? 'item(s)' : 'character(s)'}`
        : `a number ${issue.inclusive === false ? '>' : '>='} ${issue.minimum}`
    case 'too_big':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `at most ${issue.maximum} ${issue.origin === 'array' ? 'item(s)' : 'character(s)'}`
        : `a number ${issue.inclusive === false ? '<' : '<='} ${issue.maximum}`
    case 'invalid_union':
      return (issue as { note?: string }).note === 'No matching discriminator' ? 'a known kind (emulator|external|dynamo)' : 'a value matching one of the allowed shapes'
    default:
      return issue.message.replace(/^Invalid input: expected /, '')
  }
}

export const configIssuesFrom = (error: z.ZodError, merged: MergedConfig): ConfigIssue[] => {
  const out: ConfigIssue[] = []
  for (const issue of error.issues) {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path]
    for (const pathKeys of keys) {
      let path = pathKeys.map(String).join('.')
      // zod reports a bad discriminator at the union; point at the field the user wrote.
      if (issue.code === 'invalid_union' && (issue as { note?: string }).note === 'No matching discriminator' && !path.endsWith('kind'))
        path = path ? `${path}.kind` : 'kind'
      const src = sourceOf(merged, path)
      const shown = src?.stripPrefix && path.startsWith(src.stripPrefix) ? path.slice(src.stripPrefix.length) || '(top level)' : path
      const where = src ? (src.withPath ? `${src.label}: ${shown}` : src.label) : path
      if (issue.code === 'unrecognized_keys') {
        out.push({ where, path, expected: 'only known keys (unknown key, typo?)', got: show(String(pathKeys[pathKeys.length - 1])) })
        continue
      }
      const got = issue.code === 'custom' && 'input' in issue ? issue.input : getPath(merged.value, path.split('.'))
      out.push({ where, path, expected: expectedOf(issue), got: show(got) })
    }
  }
  return out
}
