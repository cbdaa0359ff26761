import { fileSink } from './file-sink.js';
import { fileSource } from './file-source.js';

/** Line-oriented text files: `file.source(path)`, `file.sink(path)`. */
export const file = { source: fileSource, sink: fileSink };
