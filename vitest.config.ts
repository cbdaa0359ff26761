import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Integration tests use a real Kafka broker and a real Cassandra: started here when absent, reused when running.
    // weir/testing's fault properties report their coverage to a ledger; its total is printed at the end.
    globalSetup: ['test/services/kafka-global-setup.mjs', 'test/services/cassandra-global-setup.mjs', 'test/services/property-ledger.mjs'],
  },
});
