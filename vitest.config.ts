import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Inlined so a test can re-evaluate SST's resource reader for each simulated cold start.
    server: { deps: { inline: ['sst'] } },
  },
});
