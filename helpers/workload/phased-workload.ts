import type { Workload } from './workload-types'

// Scenarios made of named phases (eviction A/B/A, reuse repeats, rehydrate). The phase runner runs
// them in order; replay phases carry the same prompts (same hashes) as the phase they replay.

export interface WorkloadPhase {
  /** warm_A, pressure_B, replay_A, reuse_1, populate, thrash, replay, replay_2 … */
  phase: string
  workload: Workload
  /** Phase this one replays (same prompts), for the reuse and rehydrate signals. */
  replays?: string
}

export interface PhasedWorkload {
  name: string
  phases: WorkloadPhase[]
}
