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
  harness_setup: {
    title: 'Harness setup (not a platform finding)',
    means: "The suite's numbers do not fit this target: its working set fits the tiers above the one under test, or its tier plan exceeds the machine.",
    must_change: 'Nothing on the platform: size the working set from the effective tiers (or shrink the tier plan) as the numbers in the evidence say, then re-run the suite.',
  },
}

/**
 * What must change for a specific reason code, where the group's generic advice would be wrong
 * (a corrupt KV tier is not fixed by exposing counters: the counters already claimed the hits).
 */
export const REASON_CODE_FIXES: Record<string, string> = {
  KV_CORRUPTION:
    'The KV tier returned wrong blocks while its counters booked the hits (GB10: no nvidia-fs, so GDS file registration fails and transfer errors are swallowed). Fix the transfer path (nvidia-fs / GDS_MT, or the POSIX backend with DYN_KVBM_DISK_DISABLE_O_DIRECT where alignment fails) and re-run; no latency figure of this mode is evidence until answers match the reference mode.',
  NO_DISK_OFFLOAD:
    'Nothing reached the SSD: enlarge the working set past G1 + G2 (more sessions or longer contexts), shrink DYN_KVBM_CPU_CACHE_GB, or use B2\' (filter off) to confirm the disk path works at all.',
  NO_DISK_REHYDRATE:
    'Blocks were written but never read back: replay the evicted prefixes (eviction_replay, rehydrate_replay) after host-tier pressure, and check that the workload re-sends identical prefixes (identity hashes) and enable_partial_reuse is false.',
  NO_KV_REUSE:
    'KVBM matched no tokens: send identical prefixes (same identity hash; no nonce), keep enable_partial_reuse: false, and check that tokens_per_block divides the shared prefix.',
  TIER2_HITS_LOW:
    'At the knee most onboarded blocks came from host memory, so the knee is not a storage knee: shrink the host tier (DYN_KVBM_CPU_CACHE_GB) or grow the working set until disk onboards dominate.',
  B1_DISK_TIER_ACTIVE:
    'The B1 control touched a disk tier: start the worker with DYN_KVBM_DISK_CACHE_GB=0 and no DYN_KVBM_DISK_* variables inherited, then re-verify (no disk-tier file open, no disk counters moving).',
  KVBM_METRICS_MISSING:
    'Start the worker with DYN_KVBM_METRICS=true and a reachable DYN_KVBM_METRICS_PORT (default 6880), and point TIERBENCH_KVBM_METRICS_URL at it; old KVBM builds export other names (see missing_metrics in the phase record).',
  CLIENT_BOTTLENECK:
    'The load generator added the delay: give it dedicated cores (taskset, or run it on another host on the same switch), use the sharded client, or lower the load per client process, then re-run.',
  REQUEST_STALL:
    'Requests stalled or were cut mid-stream while /health stayed 200: capture the worker log around the phase, check for an engine hang or KV transfer timeout, and set a stall timeout in the frontend (DYN_HTTP_BACKEND_STREAM_TIMEOUT_SECS).',
  MODEL_DROPPED:
    'The worker unregistered mid-phase (an over-limit prompt does this on the Spark engine): keep prompts under max input - max_tokens - margin, or rebuild the engine with a larger max_num_tokens.',
  TARGET_LOST: 'The serving process died mid-phase: read its log in <suite>/logs/, fix the crash, and re-run the suite.',
  TARGET_START_FAILED: 'The stack never became ready in this mode: read the readiness report and the log named in the error, fix the start-up (image, model path, ports, env), and re-run.',
  PHASE_ERROR: 'The phase crashed before producing evidence: the error is in details above and in tests.json; fix it and re-run the suite.',
  ALIGNMENT_LOW:
    'Telemetry samples missed their cadence: the host running tierbench was too busy to sample on time (the product was not measured wrongly, the measurement was). Re-run on a quieter host or with fewer parallel jobs; the preflight load figures in raw/events.jsonl show how busy it was.',
  CONTENTION_UNAVAILABLE:
    'The contention phase could not start its load generator: install fio (apt-get install -y fio), or fix the profile / scratch directory named in the error, then re-run the suite.',
  H4A_NO_CONTENTION:
    'fio did not load the disk in the contended phase: if the phase failed with CONTENTION_UNAVAILABLE, install fio first; otherwise check contention/fio-*.json (fio ran, bytes moved) and that the scratch dir sits on the KV cache\'s device, then re-run.',
  H4B_CONTENTION_INVISIBLE:
    'The contention did not show on the KV device: if the phase failed with CONTENTION_UNAVAILABLE, install fio first; otherwise check contention/fio-*.json and that the scratch dir sits on the KV cache\'s device, then re-run.',
  HOST_LOADED:
    'The host was already busy before the phase (load average or event-loop delay over the preflight limits): stop other jobs on this machine or run on a dedicated one, then re-run.',
  WORKING_SET_FITS_UPPER_TIERS:
    'The phase would have sent a working set that fits the device (+ host) tier, so the disk tier could never serve a block: the suite sizes working sets from the effective capacities in the evidence; re-run with them, or shrink device_kv_tokens / host_tier_bytes in the tier plan. The platform is not at fault.',
  WORKING_SET_EXCEEDS_DISK_TIER:
    'The disk tier is smaller than the working set, so replays would miss it too: grow disk_tier_bytes in the tier plan (or the DYN_KVBM_DISK_CACHE_GB it maps to).',
  TIER_PLAN_EXCEEDS_MACHINE:
    'The tier plan asks for more host memory than the machine has, or a disk tier larger than the free space of the cache filesystem: shrink the plan (or free space) and re-run.',
  LONG_CONTEXT_UNAVAILABLE:
    'The engine cannot take >= 32k-token inputs: rebuild or reconfigure it with max_num_tokens and max_seq_len above the dataset L size plus max_tokens, then re-run the dataset:L suites.',
}

/** Reason codes whose fix also explains a no-data outcome of their gate (its usual cause is a missing tool, not the platform). */
export const NO_DATA_CAUSE_CODES: ReadonlySet<string> = new Set(['H4A_NO_CONTENTION', 'H4B_CONTENTION_INVISIBLE'])
