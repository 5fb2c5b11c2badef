import { adqlCommand } from './adql.js';
import { alertsCommand } from './alerts.js';
import { coincidenceCommand } from './coincidence.js';
import type { Command } from './command.js';
import { demoCommand } from './demo.js';
import { ingestCommand } from './ingest.js';
import { rightsCommand } from './rights.js';
import { serveCommand } from './serve.js';
import { simulateCommand } from './simulate.js';
import { tokenCommand } from './token.js';
import { validateCommand } from './validate.js';

/** Every `hearc` subcommand, in the order `hearc --help` lists them. */
export const commands: readonly Command[] = [
  ingestCommand,
  serveCommand,
  validateCommand,
  simulateCommand,
  demoCommand,
  adqlCommand,
  rightsCommand,
  tokenCommand,
  alertsCommand,
  coincidenceCommand,
];
