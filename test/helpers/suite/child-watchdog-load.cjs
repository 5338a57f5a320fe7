// Loaded by child-watchdog.test.ts inside a plain node child: starts the real watchdog (via tsx).
module.exports = (pgid) => {
  require('tsx/cjs')
  require('../../../helpers/suite/child-watchdog.ts').watchChildGroup(pgid, process.pid, 0.2)
}
