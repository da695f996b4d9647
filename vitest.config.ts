import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The overload test spends minutes of real time waiting on Brek's quota, using little CPU: it
 * starts first, in a worker of its own, while the rest of the suite runs one file at a time beside
 * it as before (on two cores vitest would otherwise run every file, that one included, in turn).
 */
class QuotaWaitsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const waits = (file: TestSpecification) => file.moduleId.endsWith('/overload.test.ts');
    return [...sorted.filter(waits), ...sorted.filter((file) => !waits(file))];
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: QuotaWaitsFirst },
    // Inlined so a test can re-evaluate SST's resource reader for each simulated cold start.
    server: { deps: { inline: ['sst'] } },
    // Node 20 is the local runtime by design; the AWS SDK's notice about its future floor is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
