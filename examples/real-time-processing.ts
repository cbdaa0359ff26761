/**
 * The reference job: "Message 0" .. "Message 99" -> "Processed: <value>" -> stdout.
 *
 * Until the Kafka connector lands, its source is the built-in generator
 * emitting exactly those 100 messages, so `npm start` needs no service.
 */
import { generator, stdout, topology } from 'weir';

export default topology('real-time-processing', (t) =>
  t
    .source('in', generator({ count: 100 }))
    .map((v: string) => `Processed: ${v}`)
    .sink('out', stdout()),
);
