import { serverVersion } from '@callpipe/db';
import { redactUrl, result, type StatusCheck } from './check.ts';

export const postgresCheck: StatusCheck = {
  name: 'postgres',
  needs: ['postgres'],
  async run({ postgres, config }) {
    const version = await serverVersion(await postgres());
    const url = redactUrl(config.DATABASE_URL);
    return result('ok', `PostgreSQL ${version} at ${url}`, { url, version });
  },
};
