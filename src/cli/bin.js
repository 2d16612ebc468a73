#!/usr/bin/env node
// Node 20 cannot run TypeScript itself: register tsx, then load the CLI.
import { tsImport } from 'tsx/esm/api';

await tsImport('./main.ts', import.meta.url);
