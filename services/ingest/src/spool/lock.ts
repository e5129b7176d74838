import { randomUUID } from 'node:crypto';
import { link, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '@callpipe/runtime';

export const LOCK_FILE = 'LOCK';

/** Tokens of the locks this process holds: a lock with our pid but another token is still in use. */
const heldTokens = new Set<string>();

export interface SpoolLock {
  release(): Promise<void>;
}

/**
 * One process per spool directory. Taking the lock is one atomic `link()` of a file holding our pid
 * and a random token, which fails if a lock exists. A lock whose process is dead is broken by
 * whoever first claims it with `link(LOCK, LOCK.break-<inode>)` — exclusive too — and re-checks
 * that the claimed file is still the dead one; then it is removed and the race to link starts again.
 * Two contenders for a stale lock therefore cannot both win. A crash between claiming and removing
 * leaves the claim behind; the error below names it.
 */
export async function takeSpoolLock(dir: string): Promise<SpoolLock> {
  const lockPath = join(dir, LOCK_FILE);
  const token = randomUUID();
  const content = `${process.pid} ${token}\n`;
  const temporary = join(dir, `${LOCK_FILE}.${token}.tmp`);
  heldTokens.add(token);
  try {
    const handle = await open(temporary, 'wx');
    await handle.writeFile(content);
    await handle.close();
    for (let attempt = 0; ; attempt += 1) {
      try {
        await link(temporary, lockPath);
        return { release: () => release(lockPath, content, token) };
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      const holder = await readLock(lockPath);
      if (!holder) continue; // removed since our link failed: race again
      if (isHeld(holder))
        throw new Error(`spool directory ${dir} is in use by process ${holder.pid}; give each ingest its own INGEST_SPOOL_DIR`);
      if (!(await breakStaleLock(lockPath, holder)) && attempt > 200) {
        throw new Error(
          `spool directory ${dir}: a takeover of the stale lock did not finish; if no ingest runs there, remove ${lockPath}.break-*`,
        );
      }
    }
  } catch (error) {
    heldTokens.delete(token);
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

interface LockHolder {
  pid: number;
  /** Absent in locks written before tokens existed. */
  token: string | null;
  content: string;
  inode: number;
}

async function readLock(lockPath: string): Promise<LockHolder | null> {
  try {
    const [content, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    const [pid, token] = content.trim().split(' ');
    return { pid: Number(pid), token: token ?? null, content, inode: info.ino };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

function isHeld(holder: LockHolder): boolean {
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  // Our own pid in a lock we do not hold is an earlier run (a container restarts with the same pid).
  if (holder.pid === process.pid) return holder.token !== null && heldTokens.has(holder.token);
  return isAlive(holder.pid);
}

/** Removes the lock if it is still `stale`; false when someone else is breaking it right now. */
async function breakStaleLock(lockPath: string, stale: LockHolder): Promise<boolean> {
  const claim = `${lockPath}.break-${stale.inode}`;
  try {
    await link(lockPath, claim);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return true; // gone already
    if (code !== 'EEXIST') throw error;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return false;
  }
  try {
    // The claim names whatever LOCK was at the moment of the link: break it only if that is still
    // the dead holder's file, not a fresh lock someone linked since we read it.
    const claimed = await readLock(claim);
    if (claimed && claimed.inode === stale.inode && claimed.content === stale.content && !isHeld(claimed)) await unlink(lockPath);
  } finally {
    await unlink(claim);
  }
  return true;
}

async function release(lockPath: string, content: string, token: string): Promise<void> {
  heldTokens.delete(token);
  // Only our own lock: after a takeover by another process (we were thought dead) it is theirs.
  if ((await readFile(lockPath, 'utf8').catch(() => null)) === content) await unlink(lockPath).catch(() => undefined);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}
