import type { BlockerGroup } from '../helpers/gates/gate'

// The canonical plan's blocked outcomes (seed 002 §2), with the change each one asks of the
// platform; the dossier groups failed hard gates under these headings.
export const BLOCKER_GROUP_TEXT: Record<BlockerGroup, { title: string; means: string; must_change: string }> = {
  control_gap: {
    title: 'Control gap',
    means: 'No credible A/B where "SSD tier used" is the independent variable.',
    must_change: 'The disk tier must be enabled, disabled and sized by the mode (DYN_KVBM_* env) and verified from /metrics before a leg runs.',
  },
  mechanism_invisibility: {
    title: 'Mechanism invisibility',
    means: 'Eviction/offload/rehydrate/reuse cannot be verified with KVBM metrics and OS IO.',
    must_change: 'Expose the kvbm_* counters (DYN_KVBM_METRICS=true on DYN_KVBM_METRICS_PORT) and per-process/cgroup IO for the serving process, so every phase has counter deltas.',
  },
  attribution_failure: {
    title: 'Attribution failure',
    means: 'Disk IO exists but cannot be attributed to KV-cache activity.',
    must_change: 'Put the KV cache directory on a device or cgroup of its own, use O_DIRECT, and trace file IO of the KVBM disk path so observed bytes match predicted ones.',
  },
  reproducibility_failure: {
    title: 'Reproducibility failure',
    means: 'Effects are too noisy to support a decision-grade conclusion despite strict controls.',
    must_change: 'Quiesce background IO and thermal drift, add repetitions with washout between AB/BA legs, and re-run until CoV(p99) and paired CIs meet the gates.',
  },
  long_context_enablement_failure: {
    title: 'Long-context enablement failure',
    means: 'No engine serves ≥32k input tokens reliably enough for Dataset L.',
    must_change: 'Build and serve an engine whose max input length is ≥ 32k tokens (max_seq_len, max_num_tokens) and make it pass the long-context smoke test.',
  },
  run_validity: {
    title: 'Run validity',
    means: 'The run itself is invalid (serving unhealthy, errors, missing metrics, interruption).',
    must_change: 'Fix the serving stack or the run conditions named in the evidence, then re-run the suite.',
  },
}
