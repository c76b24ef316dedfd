import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__test__/**/*.spec.js'],
    globalSetup: ['__test__/support/s3-server.js'],
    // Real S3 connects (~14 s on a fresh prefix) and wgpu on a software driver are slow.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // The machine has 2 cores: files in parallel would only contend for them.
    fileParallelism: false,
  },
});
