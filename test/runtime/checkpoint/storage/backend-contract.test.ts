/**
 * The StateBackend contract against all three backends. The redis part uses
 * the real Redis on 127.0.0.1:6379 (db 0, unique job names, cleared after) and
 * FAILS when it is not running.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileBackend } from '../../../../runtime/checkpoint/storage/file-backend.js';
import { memoryBackend } from '../../../../runtime/checkpoint/storage/memory-backend.js';
import { redisBackend, type RedisStateBackend } from '../../../../runtime/checkpoint/storage/redis-backend.js';
import { describeBackendContract } from './backend-contract.js';

const SHARED_REDIS = 'redis://127.0.0.1:6379/0';

describeBackendContract('memory', { open: () => memoryBackend() });

const dir = mkdtempSync(path.join(tmpdir(), 'weir-state-'));
describeBackendContract('file', { open: () => fileBackend(dir) });

describeBackendContract('redis (127.0.0.1:6379)', {
  open: () => redisBackend(SHARED_REDIS),
  check: async (backend) => {
    await (backend as RedisStateBackend).ping().catch((err) => {
      throw new Error(`these tests need Redis on 127.0.0.1:6379 (start it with redis-server --port 6379): ${err.message}`);
    });
  },
});
