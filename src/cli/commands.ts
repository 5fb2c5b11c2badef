import type { Command } from './command.js';

/** Every `hearc` subcommand, in the order `hearc --help` lists them. */
export const commands: readonly Command[] = [];
