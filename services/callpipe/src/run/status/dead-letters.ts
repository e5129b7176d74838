import { plural, result, type StatusCheck } from './check.ts';

export const deadLettersCheck: StatusCheck = {
  name: 'dead-letters',
  needs: ['redis'],
  async run({ redis }) {
    const { queues } = await redis();
    const perShard = await Promise.all(queues.map((queue) => queue.getFailedCount()));
    const total = perShard.reduce((sum, count) => sum + count, 0);
    const data = { total, perShard };
    if (total > 0)
      return result(
        'action',
        `${plural(total, 'dead letter')}: pushes acked but not stored; \`callpipe dead-letters list\`, then \`show\`, \`retry\` or \`remove\``,
        data,
      );
    return result('ok', 'none', data);
  },
};
