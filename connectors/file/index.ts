import { fileSink, readCommitted } from './file-sink.js';
import { fileSource } from './file-source.js';

/** Line-oriented text files: `file.source(path)`, `file.sink(dir)` (exactly-once), `file.readCommitted(dir)`. */
export const file = { source: fileSource, sink: fileSink, readCommitted };
