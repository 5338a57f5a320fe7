// One error for every bad config field, so a user fixes them all in one pass instead of one per run.

export interface ConfigIssue {
  /** Where the bad value came from: `configs/tierbench.yaml: profiles.smoke.phase_s`, `env TIERBENCH_PROFILE`, `target.base_url`. */
  where: string
  /** Dotted path inside the merged config. */
  path: string
  expected: string
  got: string
}

export const formatConfigIssue = (issue: ConfigIssue): string =>
  `${issue.where}: Expected ${issue.expected}, got ${issue.got}`

export class ConfigError extends Error {
  readonly issues: ConfigIssue[]
  constructor(issues: ConfigIssue[]) {
    super(
      `Invalid tierbench configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  - ${formatConfigIssue(i)}`).join('\n'),
    )
    this.name = 'ConfigError'
    this.issues = issues
  }
}
