// The sandbox's memory on disk, when it has a data directory (the local stack gives it
// .data/sandbox; `npm run sandbox` takes BREK_SANDBOX_DATA_DIR or --data-dir): its world
// (sessions, cards, setup links, bookings) and the port it listened on, so a restart keeps the
// conversations the bridge's table still refers to and the links travellers were handed.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StartupError } from '../dev/cli.ts';
import type { World, WorldSnapshot } from './world.ts';

const VERSION = 1;

interface StateFileContent {
  version: number;
  /** The port last listened on: taken again when free, so earlier links still lead here. */
  port?: number;
  world: WorldSnapshot;
}

class SandboxStateError extends StartupError {}

export class SandboxState {
  private readonly file: string;
  private writing?: Promise<void>;
  private dirty = false;
  private failure?: unknown;
  port?: number;

  constructor(
    private readonly dir: string,
    private readonly world: World,
  ) {
    this.file = join(dir, 'state.json');
  }

  /** Fills the world from the file, if there is one; returns the port it recorded. */
  async load(): Promise<number | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let content: StateFileContent;
    try {
      content = JSON.parse(text) as StateFileContent;
    } catch {
      throw new SandboxStateError(`${this.file} is not JSON; move it away to start with an empty sandbox`);
    }
    if (content.version !== VERSION) throw new SandboxStateError(`${this.file} is of version ${content.version}, not ${VERSION}; move it away to start with an empty sandbox`);
    this.world.restore(content.world);
    this.port = content.port;
    return content.port;
  }

  /** Asks for a write; writes do not overlap, and asks made during one are written once after it. */
  save(): void {
    this.dirty = true;
    this.writing ??= this.drain().finally(() => (this.writing = undefined));
  }

  /** Waits for the last write; a write that failed is reported here (and retried on the next save). */
  async flush(): Promise<void> {
    await this.writing;
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }

  private async drain(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      const content: StateFileContent = { version: VERSION, ...(this.port !== undefined ? { port: this.port } : {}), world: this.world.snapshot() };
      try {
        await mkdir(this.dir, { recursive: true });
        // Written whole beside it, then renamed over it: a crash mid-write leaves the previous state.
        const temporary = `${this.file}.${process.pid}.tmp`;
        await writeFile(temporary, JSON.stringify(content), { mode: 0o600 });
        await rename(temporary, this.file);
        this.failure = undefined;
      } catch (error) {
        this.failure = error;
      }
    }
  }
}
