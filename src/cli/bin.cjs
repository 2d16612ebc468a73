#!/usr/bin/env node
/**
 * The `signet` command (and `npm start`): sizes libuv's thread pool, then loads the CLI.
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
import('./bin.js');
