/**
 * `.env` at the repository root, read by `npm start`, `npm run invoke` and
 * `npm run deploy` with Node's own parser (process.loadEnvFile; Node 20.15+ is required anyway, see package.json engines).
 * A variable already set in the shell wins over the file.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorMessage } from '../shared/errors';

export const DOTENV_FILE = join(resolve(__dirname, '..'), '.env');

/** Loads the file into process.env if it exists; answers whether it did. */
export function loadDotEnv(file = DOTENV_FILE): boolean {
  if (!existsSync(file)) return false;
  process.loadEnvFile(file);
  return true;
}

/**
 * Runs an operator command the way `npm run invoke` and `npm run deploy` do:
 * `.env` first, then `main`, whose answer is the exit code; a throw is one
 * line naming the command (never a stack trace) and exit code 1.
 */
export function runOperatorCommand(name: string, main: (argv: string[]) => Promise<number>): void {
  loadDotEnv();
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${name} failed: ${errorMessage(error)}\n`);
      process.exit(1);
    },
  );
}
