// s3db-ml's MLPlugin, from this checkout, on the backend in S3DB_ML_BENCH_BACKEND ('cpu' unless set).
import { MLPlugin } from '../../index.js';
import { runChild } from './child.js';

const backend = process.env.S3DB_ML_BENCH_BACKEND ?? 'cpu';
await runChild({ MLPlugin, pluginOptions: { backend }, describe: () => ({ system: 's3dbml', requested_backend: backend }) });
