#!/usr/bin/env node
/**
 * The `signet` command (and `npm start`): tunes the process (libuv's thread pool, V8's heap
 * growth), then loads the CLI.
 *
 * CommonJS on purpose: Node reads an ES module entry point through the thread pool, which fixes
 * the pool's size before the module's first line runs; this file is read synchronously, so the
 * setting below still applies. 8 threads instead of 4: every upload waits for a file fsync,
 * and the shared directory and write-ahead-log flushes each hold a thread for as long as the
 * disk takes, so with 4 threads sixteen concurrent uploads queue for the pool while the CPU is
 * idle (npm run bench, README "Performance": 1 KiB PUTs about 10% faster in paired runs). A
 * UV_THREADPOOL_SIZE set by the operator wins.
 */
process.env.UV_THREADPOOL_SIZE ??= '8';

/**
 * The old generation may grow to 4x what survived the last full GC before the next one starts
 * (V8's own largest growing factor; its dynamic one sits near its 1.1 minimum for a heap as
 * small as signet's, about 11 MiB live). Under uploads the young generation grows to 16 MiB
 * semi-spaces, and with the dynamic factor the old generation's headroom falls below that: V8
 * then marked the whole heap about ten times a second during 64 KiB uploads, each time freeing
 * little (20 full GCs in 8 s of W7, against 2 with this setting; --trace-gc), and its helper
 * threads took a third of a millisecond of CPU per upload. Paired runs (test/bench/ab.ts, four
 * each): W7 -2% to +15% in rate (median +12%), W2 +2% to +21% (median +13%), with 15-20% less
 * CPU per upload; W1 and W3 unchanged. The cost: up to a few tens of MiB more heap between
 * full GCs.
 *
 * A flag V8 reads each time it recomputes its limits, so setting it here, before any code runs,
 * takes effect; `node --heap-growing-percent=N src/cli/bin.cjs` from the operator wins. Only the
 * command sets it: startSignet() in somebody else's process leaves that process's V8 alone.
 */
if (!process.execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) {
  require('node:v8').setFlagsFromString('--heap-growing-percent=300');
}
import('./bin.js');
