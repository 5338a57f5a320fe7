// KVBM's cache_stats: host/disk hit rate = blocks hit ÷ blocks queried over the last N requests
// (DYN_KVBM_CACHE_STATS_MAX_REQUESTS, default 1000).

interface Sample {
  queried: number
  host: number
  disk: number
}

export class HitRateWindow {
  private readonly samples: Sample[] = []
  private queried = 0
  private host = 0
  private disk = 0

  constructor(readonly maxRequests: number) {}

  record(queried: number, host: number, disk: number): void {
    const s = { queried, host, disk }
    this.samples.push(s)
    this.queried += queried
    this.host += host
    this.disk += disk
    while (this.samples.length > this.maxRequests) {
      const old = this.samples.shift()!
      this.queried -= old.queried
      this.host -= old.host
      this.disk -= old.disk
    }
  }

  get hostHitRate(): number {
    return this.queried > 0 ? this.host / this.queried : 0
  }

  get diskHitRate(): number {
    return this.queried > 0 ? this.disk / this.queried : 0
  }
}
