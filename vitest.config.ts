import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Inlined so a test can re-evaluate SST's resource reader for each simulated cold start.
    server: { deps: { inline: ['sst'] } },
    // Node 20 is the local runtime by design; the AWS SDK's notice about its future floor is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
