import { redactUrl, result, type StatusCheck } from './check.ts';

/** Reachable, its version, and the eviction policy BullMQ needs (noeviction: an evicted job is a lost push). */
export const redisCheck: StatusCheck = {
  name: 'redis',
  needs: ['redis'],
  async run({ redis, config }) {
    const { client } = await redis();
    const info = await ('nodes' in client ? client.nodes('master')[0]! : client).info();
    const field = (name: string) => new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1] ?? null;
    const version = field('redis_version');
    const policy = field('maxmemory_policy');
    const usedBytes = Number(field('used_memory') ?? 0);
    const maxBytes = Number(field('maxmemory') ?? 0);
    const data = {
      url: redactUrl(config.REDIS_URL),
      version,
      maxmemoryPolicy: policy,
      usedMemoryBytes: usedBytes,
      maxmemoryBytes: maxBytes,
    };
    const where = `Redis ${version ?? '?'} at ${data.url}, ${(usedBytes / 1_048_576).toFixed(1)} MB used`;
    if (policy !== null && policy !== 'noeviction')
      return result('action', `${where}; maxmemory-policy is ${policy}: set noeviction, or Redis may evict queued pushes`, data);
    if (maxBytes > 0 && usedBytes > 0.8 * maxBytes)
      return result('warn', `${where} of ${(maxBytes / 1_048_576).toFixed(0)} MB maxmemory: over 80 %, writes fail when full`, data);
    return result('ok', `${where}, maxmemory-policy ${policy ?? 'unknown'}`, data);
  },
};
