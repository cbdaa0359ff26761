// Known-bug reproductions (*.bug.ts): they FAIL while the bug is present, so the default
// suite does not run them. Run: npx vitest run --config test/integration/kafka/vitest.bugs.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../../../', import.meta.url).pathname,
    include: ['test/**/*.bug.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/services/kafka-global-setup.mjs'],
  },
});
