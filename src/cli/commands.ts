import { adqlCommand } from './adql.js';
import { auditCommand } from './audit.js';
import { alertsCommand } from './alerts.js';
import { coincidenceCommand } from './coincidence.js';
import type { Command } from './command.js';
import { demoCommand } from './demo.js';
import { eventsCommand } from './events.js';
import { obscoreCommand } from './obscore.js';
import { hipsCommand } from './hips.js';
import { ingestCommand } from './ingest.js';
import { registryCommand } from './registry.js';
import { provenanceCommand } from './provenance.js';
import { rightsCommand } from './rights.js';
import { serveCommand } from './serve.js';
import { shardsCommand } from './shards.js';
import { simulateCommand } from './simulate.js';
import { tokenCommand } from './token.js';
import { validateCommand } from './validate.js';
import { withdrawCommand } from './withdraw.js';

/** Every `hearc` subcommand, in the order `hearc --help` lists them. */
export const commands: readonly Command[] = [
  ingestCommand,
  withdrawCommand,
  eventsCommand,
  obscoreCommand,
  serveCommand,
  validateCommand,
  simulateCommand,
  demoCommand,
  adqlCommand,
  rightsCommand,
  tokenCommand,
  registryCommand,
  hipsCommand,
  shardsCommand,
  provenanceCommand,
  auditCommand,
  alertsCommand,
  coincidenceCommand,
];
