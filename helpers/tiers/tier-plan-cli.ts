import { resolve } from 'node:path'
import { DEFAULT_DYNAMO_CONFIG, resolveSuiteFiles } from '../target/dynamo-plan'
import { loadDynamoConfig } from '../target/dynamo-config'
import { tierPlanReport } from './tier-plan-report'

/** `tierbench plan [--target dynamo] [--config f] suites…`: the tier section, from the same arguments as the command plan. */
export const tierPlanSection = async (argv: string[], cwd: string): Promise<string[]> => {
  const args = argv[0] === 'plan' ? argv.slice(1) : argv
  let config: string | null = null
  const suites: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--target' || a === '--config') {
      if (a === '--config') config = args[i + 1] ?? null
      i++
    } else if (a.startsWith('--config=')) config = a.slice('--config='.length)
    else if (!a.startsWith('-')) suites.push(a)
  }
  const configFile = resolve(cwd, config ?? process.env.TIERBENCH_DYNAMO_CONFIG ?? DEFAULT_DYNAMO_CONFIG)
  const dynamo = loadDynamoConfig(configFile) as unknown as Record<string, unknown>
  const files = suites.flatMap((s) => resolveSuiteFiles(s, cwd))
  return tierPlanReport({ files, cwd, dynamo })
}
