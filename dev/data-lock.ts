// One local stack per data directory: its embedded DynamoDB, sandbox state and stack.json are
// that directory's, and a second stack on it would break the first (dynalite's store closes
// under it). The lock is a file naming its holder's pid (and, once known, its URL); a lock whose
// pid is gone is a crashed stack's and is taken over.
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StartupError } from './cli.ts';

const LOCK_FILE = 'stack.lock';

interface LockHolder {
  pid: number;
  url?: string;
  startedAt: string;
}

class DataDirBusy extends StartupError {
  constructor(
    readonly holder: LockHolder,
    where: string,
  ) {
    super(`the local stack is already running ${where} (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ''}); stop it first or set BRIDGE_DATA_DIR to another directory for a second one`);
  }
}

export interface DataDirLock {
  /** Says where the holder listens, for the message a second start prints. */
  listening(url: string): Promise<void>;
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await readFile(file, 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' ? (holder as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole under a temporary name, then moved or linked into place: never seen half-written. */
async function writeWhole(path: string, holder: LockHolder, place: (from: string, to: string) => Promise<void>): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(holder), { mode: 0o600 });
  try {
    await place(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}

/**
 * Takes the data directory for this process, or throws DataDirBusy naming the live holder.
 * `where` words the directory for that message ("in this checkout", "in /tmp/x").
 */
export async function lockDataDir(dataDir: string, where: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      // link() fails if the lock exists: taking it is one atomic step.
      await writeWhole(file, mine, link);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
    }
    const holder = await readHolder(file);
    if (holder && isAlive(holder.pid)) {
      let url = holder.url;
      if (!url) url = ((await readFile(join(dataDir, 'stack.json'), 'utf8').then((text) => JSON.parse(text) as { url?: string }).catch(() => ({}))) as { url?: string }).url;
      throw new DataDirBusy({ ...holder, ...(url ? { url } : {}) }, where);
    }
    // A crashed stack's lock (or an unreadable one): moved aside first, so of two starts taking it over only one removes it.
    const aside = `${file}.stale.${process.pid}`;
    await rename(file, aside).then(
      () => rm(aside, { force: true }),
      () => undefined,
    );
  }
  return {
    async listening(url) {
      await writeWhole(file, { ...mine, url }, rename);
    },
    async release() {
      // Only its own: a lock taken over after this one was thought dead is the new holder's.
      if ((await readHolder(file))?.pid === process.pid) await rm(file, { force: true });
    },
  };
}
