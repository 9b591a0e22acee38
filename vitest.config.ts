import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Integration tests share one Redis; each file uses its own key prefix.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
