/**
 * `.env` at the repository root, read by `npm start`, `npm run invoke` and
 * `npm run deploy` with Node's own parser (process.loadEnvFile, Node 20.12+).
 * A variable already set in the shell wins over the file.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DOTENV_FILE = join(resolve(__dirname, '..'), '.env');

/** Loads the file into process.env if it exists; answers whether it did. */
export function loadDotEnv(file = DOTENV_FILE): boolean {
  if (!existsSync(file)) return false;
  process.loadEnvFile(file);
  return true;
}
