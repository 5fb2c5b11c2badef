/** `hearc <args>` from the sources, for tests that run the server as a child process. */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
