import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@callpipe/testkit/support';
import { durableRedisArgs } from './instances.ts';
import { freePort } from './process.ts';

// A private Redis Cluster (masters with one replica each) on spare loopback ports, from Debian's
// redis-server and redis-cli (7.0+: CLUSTER SHARDS and `cluster-port`), so fault tests can move
// slots between nodes without touching anyone else's Redis.

const run = promisify(execFile);

export interface ClusterNode {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** The master's id, for a replica. */
  masterId: string | null;
  slots: Array<[number, number]>;
}

export interface SlotOwner {
  slot: number;
  master: ClusterNode;
  replicas: ClusterNode[];
}

export interface RedisClusterInstance {
  /** `redis+cluster://` with every master as a seed node. */
  url: string;
  ports: number[];
  /** Runs a command on one node through redis-cli and returns its raw answer. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The nodes as one node (by default the first that answers) sees them (CLUSTER NODES), failed ones left out. */
  nodes(fromPort?: number): Promise<ClusterNode[]>;
  /** The slot of `key` (CLUSTER KEYSLOT) and the master serving it, with its replicas. */
  ownerOf(key: string): Promise<SlotOwner>;
  /**
   * Promotes a replica of the master serving `key` (CLUSTER FAILOVER on the replica: the master
   * stops writes, the replica catches up, then takes over) and waits until the replica serves the
   * slot and every node says `cluster_state:ok`.
   */
  failover(key: string): Promise<{ slot: number; from: number; to: number; tookMs: number }>;
  stop(): Promise<void>;
}

/** Ports that are free now and distinct: a client port and a cluster-bus port per node. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** CLUSTER NODES: `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot>…` per line. */
function parseNodes(text: string): ClusterNode[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [id = '', address = '', flags = '', master = '-', , , , , ...slots] = line.split(' ');
      const flagList = flags.split(',');
      return {
        id,
        port: Number(/:(\d+)@/.exec(address)?.[1]),
        role: flagList.includes('master') ? ('master' as const) : ('replica' as const),
        masterId: master === '-' ? null : master,
        slots: slots
          .filter((range) => !range.startsWith('['))
          .map((range) => {
            const [from, to = from] = range.split('-').map(Number);
            return [from!, to!] as [number, number];
          }),
        failed: flagList.some((flag) => flag === 'fail' || flag === 'fail?' || flag === 'handshake' || flag === 'noaddr'),
      };
    })
    .filter((node) => !node.failed)
    .map(({ failed: _failed, ...node }) => node);
}

export async function createRedisCluster(options: { masters?: number; replicasPerMaster?: number } = {}): Promise<RedisClusterInstance> {
  const masters = options.masters ?? 3;
  const replicasPerMaster = options.replicasPerMaster ?? 1;
  const count = masters * (1 + replicasPerMaster);
  const allPorts = await distinctFreePorts(count * 2);
  const ports = allPorts.slice(0, count);
  const root = mkdtempSync(join(tmpdir(), 'callpipe-faults-redis-cluster-'));
  const children: ChildProcess[] = [];

  const cli = async (port: number, ...args: string[]): Promise<string> =>
    (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 })).stdout;
  /** The first node that answers, so a killed node does not blind the helpers. */
  const anyNode = async (...args: string[]): Promise<string> => {
    let lastError: unknown = new Error('no nodes');
    for (const port of ports) {
      try {
        return await cli(port, ...args);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  };
  const nodes = async (fromPort?: number): Promise<ClusterNode[]> =>
    parseNodes(fromPort === undefined ? await anyNode('cluster', 'nodes') : await cli(fromPort, 'cluster', 'nodes'));
  const clusterOk = async (): Promise<boolean> => {
    try {
      const states = await Promise.all(ports.map((port) => cli(port, 'cluster', 'info')));
      return states.every((info) => info.includes('cluster_state:ok'));
    } catch {
      return false;
    }
  };
  const ownerOf = async (key: string): Promise<SlotOwner> => {
    const slot = Number((await anyNode('cluster', 'keyslot', key)).trim());
    const known = await nodes();
    const master = known.find((node) => node.role === 'master' && node.slots.some(([from, to]) => slot >= from && slot <= to));
    if (!master) throw new Error(`no master serves slot ${slot} (key ${key})`);
    return { slot, master, replicas: known.filter((node) => node.masterId === master.id) };
  };

  const instance: RedisClusterInstance = {
    url: `redis+cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`,
    ports,
    cli,
    nodes,
    ownerOf,
    async failover(key) {
      const started = Date.now();
      const { slot, master, replicas } = await ownerOf(key);
      const replica = replicas[0];
      if (!replica) throw new Error(`master ${master.port} has no replica to promote`);
      // A manual failover needs the replica in sync (a node demoted a moment ago may still be resyncing).
      await waitFor(async () => (await cli(replica.port, 'info', 'replication').catch(() => '')).includes('master_link_status:up'), {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: `replica ${replica.port} to be in sync with ${master.port}`,
      });
      const answer = (await cli(replica.port, 'cluster', 'failover')).trim();
      if (answer !== 'OK') throw new Error(`CLUSTER FAILOVER on ${replica.port} answered ${answer}`);
      await waitFor(
        async () => {
          try {
            const owner = await ownerOf(key);
            const seenByOldMaster = await nodes(master.port);
            const oldMasterDemoted = seenByOldMaster.find((node) => node.id === master.id)?.role === 'replica';
            return owner.master.id === replica.id && oldMasterDemoted && (await clusterOk());
          } catch {
            return false;
          }
        },
        { timeoutMs: 30_000, intervalMs: 100, what: `replica ${replica.port} to take slot ${slot} over from ${master.port}` },
      );
      return { slot, from: master.port, to: replica.port, tookMs: Date.now() - started };
    },
    async stop() {
      await Promise.all(
        children.map((child) => {
          if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGKILL');
          return exited;
        }),
      );
      rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    ports.forEach((port, index) => {
      const dir = join(root, String(port));
      mkdirSync(dir);
      children.push(
        spawn(
          'redis-server',
          [
            ...durableRedisArgs(port, dir),
            ...['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')],
            ...['--cluster-port', String(allPorts[count + index]), '--cluster-node-timeout', '2000'],
          ],
          { stdio: 'ignore' },
        ),
      );
    });
    await Promise.all(
      ports.map((port) =>
        waitFor(async () => (await cli(port, 'ping').catch(() => '')).trim() === 'PONG', {
          timeoutMs: 20_000,
          intervalMs: 100,
          what: `redis cluster node on ${port}`,
        }),
      ),
    );
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        String(replicasPerMaster),
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
    await waitFor(
      async () => {
        if (!(await clusterOk())) return false;
        // Every node knows every other, with the configured number of masters and replicas.
        const views = await Promise.all(ports.map((port) => nodes(port).catch(() => [])));
        if (!views.every((view) => view.length === count && view.filter((node) => node.role === 'master').length === masters)) return false;
        // And every replica has finished its first sync (a failover needs the link up).
        const replicaPorts = views[0]!.filter((node) => node.role === 'replica').map((node) => node.port);
        const links = await Promise.all(replicaPorts.map((port) => cli(port, 'info', 'replication').catch(() => '')));
        return links.every((info) => info.includes('master_link_status:up'));
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'redis cluster to be ok on every node' },
    );
  } catch (error) {
    await instance.stop();
    throw error;
  }
  return instance;
}
