import { tsImport } from 'tsx/esm/api'
import { defineConfig } from 'vitest/config'
import { TAGS } from '../../helpers/suite/tags.ts'

// The planted-fault matrix runs its small fault suites through this config, nested inside the unit
// test test/faults/fault-matrix.test.ts. Same globalSetup, reporter and tags as the `suites` project,
// so each nested run writes a real bundle (verdict.json, dossier.md, raw/gates.jsonl). The suites end
// in .fault-suite.ts, not .test.ts, so the `unit` project never collects them.
const { TierbenchReporter } = (await tsImport('../../reporters/tierbench-reporter.ts', import.meta.url)) as typeof import('../../reporters/tierbench-reporter.ts')

export default defineConfig({
  root: new URL('../..', import.meta.url).pathname,
  test: {
    tags: [...TAGS],
    reporters: ['default', new TierbenchReporter()],
    strictTags: true,
    teardownTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/suites/**/*.fault-suite.ts'],
          fileParallelism: false,
          globalSetup: ['helpers/suite/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
