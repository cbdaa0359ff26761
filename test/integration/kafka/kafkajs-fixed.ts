/**
 * Imported before kafkajs by the Kafka test helpers: their read_committed
 * readers must filter aborted transactions correctly (see
 * connectors/kafka/aborted-filter.ts), or a test would report a weir
 * duplicate that is really a kafkajs read of an aborted record.
 */
import { installKafkajsFix } from '../../../connectors/kafka/kafkajs-fix.js';

const fix = installKafkajsFix();
if (!fix.inPlace.filter) throw new Error(`kafkajs runs without weir's read_committed fix (${fix.problems.join('; ')}): import test/integration/kafka/kafkajs-fixed.ts first`);
