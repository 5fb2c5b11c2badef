// `hearc validate` as its own process, on the process's real stdout (for the closed-pipe test).
import { main } from '../../src/cli/main.js';

process.exitCode = await main(['validate', ...process.argv.slice(2)]);
