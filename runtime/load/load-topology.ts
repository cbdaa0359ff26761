/** Imports a job module and finds its topology: the default export, or the one named export that is a topology. */
import { fileURLToPath } from 'node:url';
import { JobLoadError, causeMessage } from '../../actors/errors.js';
import { isTopology, type Topology } from '../dsl/topology.js';

export async function loadTopology(moduleUrl: string, exportName?: string): Promise<Topology> {
  const file = moduleUrl.startsWith('file:') ? fileURLToPath(moduleUrl) : moduleUrl;
  let mod: Record<string, unknown>;
  try {
    mod = await import(moduleUrl);
  } catch (e) {
    throw new JobLoadError(`job '${displayName(file)}' threw while loading: ${causeMessage(e)}`, { file }, e);
  }
  if (exportName !== undefined) {
    const t = mod[exportName];
    if (!isTopology(t)) throw new JobLoadError(`job '${displayName(file)}' has no topology exported as '${exportName}'. Fix: export const ${exportName} = topology(...)`, { file });
    return t;
  }
  if (isTopology(mod.default)) return mod.default;
  const named = Object.entries(mod).filter(([, v]) => isTopology(v));
  if (named.length === 1) return named[0][1] as Topology;
  if (named.length > 1) {
    throw new JobLoadError(
      `job '${displayName(file)}' exports several topologies (${named.map(([k]) => k).join(', ')}) and no default. Fix: export default the one to run, or pass --export NAME`,
      { file },
    );
  }
  throw new JobLoadError(`job '${displayName(file)}' has no default-exported topology. Fix: export default topology('name', (t) => ...)`, { file });
}

/** Compiled jobs are hidden files named after their source: show the source. */
function displayName(file: string): string {
  return file.replace(/\/\.([^/]+)\.[0-9a-f]{10}-\d+-\d+\.weir\.mjs$/, '/$1.ts');
}
