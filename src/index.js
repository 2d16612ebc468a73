// The package's entry for plain JavaScript (`import { startSignet } from 'signet-s3'`). Node 20
// cannot run TypeScript itself: register tsx for signet's own sources (as src/cli/bin.js does for the CLI),
// then re-export the API. Its types are src/index.ts.
import { tsImport } from 'tsx/esm/api';

const api = await tsImport('./index.ts', import.meta.url);

export const { startSignet, InitError } = api;
