export const OPENAPI_FILE = 'infra/openapi/openapi.json';

/** The checked-in form: two-space JSON and a final newline, so diffs stay readable. */
export const openApiText = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;
