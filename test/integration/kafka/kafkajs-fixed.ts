/**
 * Imported before kafkajs by the Kafka test helpers: their read_committed
 * readers must filter aborted transactions correctly (see
 * connectors/kafka/aborted-filter.ts), or a test would report a weir
 * duplicate that is really a kafkajs read of an aborted record.
 */
import { installKafkajsFix } from '../../../connectors/kafka/kafkajs-fix.js';

if (!installKafkajsFix()) throw new Error('kafkajs was loaded before its read_committed fix: import test/integration/kafka/kafkajs-fixed.ts first');
