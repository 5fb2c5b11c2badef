import { forwardToServer } from './admin.js';
import { type Command, type CommandIo, UsageError } from './command.js';
import { processIo } from './process-io.js';
import { commands } from './commands.js';

export { processIo } from './process-io.js';

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: hearc <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'hearc <command> --help' for a command's options.\n`;
}

/** Entry point of the `hearc` binary; returns the process exit code. */
export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(overview());
    return name === undefined ? 2 : 0;
  }
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`hearc: unknown command '${name}'\n\n${overview()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage);
    return 0;
  }
  try {
    // A DuckDB catalog that a `hearc serve` owns: the server runs the command for us.
    const forwarded = await forwardToServer(command.name, rest, io);
    if (forwarded !== undefined) return forwarded;
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`hearc ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    throw err;
  }
}
