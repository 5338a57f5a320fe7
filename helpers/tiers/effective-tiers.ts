import { existsSync, readFileSync } from 'node:fs'
import type { TargetInfo } from '../target/target'
import { parseTrtllmKvTokens } from './dynamo-tier-config'
import type { EffectiveTiers } from './tier-plan'

// The capacities a started target really has: what its driver reported (kvsim's start line), else
// what the engine printed in its log (TRT-LLM's paged KV pool size), else the prediction, whose
// sources say `configured` / `estimated` so a reader knows nothing was read back.
export const effectiveTiersFor = (info: TargetInfo, predicted: EffectiveTiers): EffectiveTiers => {
  if (info.tiers) return info.tiers
  if (info.kind === 'dynamo') {
    let device: number | null = null
    for (const f of info.logFiles) {
      if (!existsSync(f)) continue
      const t = parseTrtllmKvTokens(readFileSync(f, 'utf8'))
      if (t !== null) device = t
    }
    if (device !== null) return { ...predicted, device_kv_tokens: device, source: { ...predicted.source, device_kv_tokens: 'engine-log' } }
  }
  return predicted
}
