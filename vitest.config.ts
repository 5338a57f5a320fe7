import { tsImport } from 'tsx/esm/api'
import { defineConfig } from 'vitest/config'
import { TAGS } from './helpers/suite/tags.ts'

// Loaded at run time rather than bundled with this file: the reporter's import graph is ordinary
// extensionless TypeScript, which Vite's config bundler would otherwise warn about.
const { TierbenchReporter } = (await tsImport('./reporters/tierbench-reporter.ts', import.meta.url)) as typeof import('./reporters/tierbench-reporter.ts')
const { checkInvocation } = (await tsImport('./helpers/config/check-invocation.ts', import.meta.url)) as typeof import('./helpers/config/check-invocation.ts')

// A bad configuration or an unknown --tags-filter stops here, before Vitest starts anything: one
// block of text, no stack trace, no bundle. (Only the main process loads this file.)
const refusal = checkInvocation(process.argv.slice(2), { cwd: import.meta.dirname, env: process.env, tags: TAGS.map((t) => t.name) })
if (refusal) {
  process.stderr.write(`${refusal}\n`)
  process.exit(2)
}

// Two projects: `unit` (the harness's own tests, parallel) and `suites` (hypotheses: one file at a
// time, because two load suites must never share the serving stack; long timeouts for full runs).
export default defineConfig({
  test: {
    tags: [...TAGS],
    // The default reporter for people, TierbenchReporter for the bundle (it ignores the unit project).
    reporters: ['default', new TierbenchReporter()],
    strictTags: true,
    teardownTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'suites',
          include: ['suites/**/*.test.ts'],
          fileParallelism: false,
          globalSetup: ['helpers/suite/global-setup.ts'],
          testTimeout: 6 * 3600_000,
          hookTimeout: 1800_000,
        },
      },
    ],
  },
})
