/** Turns a logical node into the operator object its actors run. */
import type { Operator } from '../../actors/contract.js';
import { filterOperator } from '../../actors/operators/filter.js';
import { flatMapOperator } from '../../actors/operators/flat-map.js';
import { forwardOperator } from '../../actors/operators/forward.js';
import { mapOperator } from '../../actors/operators/map.js';
import { processOperator } from '../../actors/operators/process.js';
import { reduceOperator } from '../../actors/operators/reduce.js';
import { selectOperator } from '../../actors/operators/select.js';
import { timestampsOperator } from '../../actors/operators/timestamps.js';
import { windowOperator } from '../../actors/windows/window-operator.js';
import type { LogicalNode } from '../dsl/graph.js';

export function createOperator(node: LogicalNode): Operator {
  if (node.operator) return node.operator();
  switch (node.kind) {
    case 'map':
      return mapOperator(node.fn!, node.onError);
    case 'filter':
      return filterOperator(node.fn!, node.onError);
    case 'flatMap':
      return flatMapOperator(node.fn!, node.onError);
    case 'process':
    case 'machine': // a machine is process handlers built from the statechart (actors/operators/machine)
      return processOperator(node.handlers ?? node.fn!, node.onError, node.keySelector, node.timestampFn);
    case 'timestamps':
      return timestampsOperator(node.fn!, node.timestamps ?? {}, node.onError, node.split);
    case 'window':
      return windowOperator(node.window!, node.onError, node.keySelector!, node.timestampFn);
    case 'select':
      return selectOperator(node.tag!) as Operator;
    case 'reduce':
      return reduceOperator(node.fn!, node.onError, node.keySelector!);
    case 'union':
      return forwardOperator();
    default:
      throw new Error(`bug: no operator for kind '${node.kind}'`);
  }
}
