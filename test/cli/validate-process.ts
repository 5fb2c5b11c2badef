// `hearc validate` as its own process, on the process's real stdout (for the closed-pipe test).
import { processIo } from '../../src/cli/process-io.js';
import { validateCommand } from '../../src/cli/validate.js';

process.exitCode = await validateCommand.run(process.argv.slice(2), processIo);
