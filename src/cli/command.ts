/** A `hearc <name>` subcommand: parses its own arguments and returns the exit code. */
export interface Command {
  readonly name: string;
  /** One line for `hearc --help`. */
  readonly summary: string;
  /** Full usage text for `hearc <name> --help`. */
  readonly usage: string;
  run(args: readonly string[], io: CommandIo): Promise<number>;
}

/** Where a command writes; tests pass their own to capture output. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdin: () => AsyncIterable<string>;
}

/** Thrown for bad command-line usage; main prints it with the usage text, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
