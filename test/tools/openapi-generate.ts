import { writeFileSync } from 'node:fs';
import { openApiDocument } from '@callpipe/ingest';
import { OPENAPI_FILE, openApiText } from '../support/openapi.ts';

// `pnpm openapi:generate`: writes infra/openapi/openapi.json from the zod schemas of the contract.
writeFileSync(new URL(`../../${OPENAPI_FILE}`, import.meta.url), openApiText(openApiDocument()));
process.stderr.write(`wrote ${OPENAPI_FILE}\n`);
