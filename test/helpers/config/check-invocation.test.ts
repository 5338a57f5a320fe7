import { describe, expect, it } from 'vitest'
import { checkInvocation, checkTagFilters, parseVitestArgv, selectsSuites, tagNamesIn } from '../../../helpers/config/check-invocation'

const TAGS = ['h2a', 'h2b', 'slow', 'dataset:S', 'mode:B2', 'mode:B2p']

describe('checking a Vitest invocation before it starts', () => {
  it('reads projects, tag filters and file filters from argv without taking option values for files', () => {
    expect(parseVitestArgv(['run', '--project', 'suites', '--tags-filter=h2b', '-t', 'ctx2048', 'suites/h2b'])).toEqual({ projects: ['suites'], tagFilters: ['h2b'], files: ['suites/h2b'] })
  })

  it('checks the run configuration only when suites may run', () => {
    expect(selectsSuites(parseVitestArgv(['run', '--project', 'unit']))).toBe(false)
    expect(selectsSuites(parseVitestArgv(['run', 'test/helpers/x.test.ts']))).toBe(false)
    expect(selectsSuites(parseVitestArgv(['run', 'suites/h2b']))).toBe(true)
    expect(selectsSuites(parseVitestArgv(['run']))).toBe(true)
  })

  it('accepts defined tags and wildcards in expressions, and names the first unknown one', () => {
    expect(tagNamesIn('(h2b || mode:B2*) && !slow')).toEqual(['h2b', 'mode:B2*', 'slow'])
    expect(checkTagFilters(['(h2b || mode:B2*) && !slow'], TAGS)).toBeNull()
    expect(checkTagFilters(['h2b && !slwo'], TAGS)).toBe('tierbench: unknown tag "slwo" in --tags-filter "h2b && !slwo" (did you mean slow?); defined tags: h2a, h2b, slow, dataset:S, mode:B2, mode:B2p')
    expect(checkTagFilters(['x9*'], TAGS)).toMatch(/^tierbench: unknown tag "x9\*"/)
  })

  it('turns every bad config field into one block naming the variable the user wrote', () => {
    const out = checkInvocation(['run', 'suites/h2b'], { cwd: process.cwd(), env: { TIERBENCH_PROFILE: 'smok', TIERBENCH_SEED: 'x' }, tags: TAGS })!
    expect(out).toMatch(/env TIERBENCH_PROFILE: Expected one of smoke\|full, got "smok"/)
    expect(out).toMatch(/env TIERBENCH_SEED: Expected a number/)
    expect(out).toMatch(/Nothing was started/)
    expect(out.split('\n').length).toBeLessThan(15)
    expect(checkInvocation(['run', '--project', 'unit'], { cwd: process.cwd(), env: { TIERBENCH_PROFILE: 'smok' }, tags: TAGS })).toBeNull()
  })
})
