// Shared by the long-running commands (`npm start`, `npm run sandbox`): print a banner, stop
// cleanly on Ctrl-C, and turn start-up failures into one line and a non-zero exit.

export interface Closable {
  close(): Promise<void>;
}

export class StartupError extends Error {}

function reason(error: unknown, portVariable: string): string {
  if (error instanceof StartupError) return error.message;
  const errno = error as NodeJS.ErrnoException;
  if (errno.code === 'EADDRINUSE') return `port ${process.env[portVariable] ?? 'default'} is already in use (set ${portVariable})`;
  if (errno.code === 'EACCES') return `not allowed to listen on port ${process.env[portVariable] ?? 'default'} (set ${portVariable})`;
  return error instanceof Error ? error.message : String(error);
}

export async function runService(
  name: string,
  portVariable: string,
  start: () => Promise<{ service: Closable; banner: string[] }>,
): Promise<void> {
  try {
    const { service, banner } = await start();
    process.stdout.write(`${banner.join('\n')}\n`);
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      void service.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    process.stderr.write(`${name}: ${reason(error, portVariable)}\n`);
    process.exit(1);
  }
}
