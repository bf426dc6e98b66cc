/**
 * Property names of Microsoft.ContainerService request bodies, read case-insensitively (SPEC C-11): Azure's resource
 * providers bind JSON to their models without regard to case, so `enableVtpm`, `ENABLEFIPS` or `Properties` name
 * `enableVTPM`, `enableFIPS` and `properties`, and the resource is stored and answered in the REST spec's casing.
 *
 * The name table is not written by hand: it is read from the official SDK (@azure/arm-containerservice), whose
 * model deserializers turn each wire property (`item["enableVTPM"]`) into the SDK's own name. Each deserializer
 * runs once on a recording proxy that answers every property read with another proxy, so the reads it makes are
 * the wire names of that model, nested profiles, arrays (`.map`) and maps (`Object.keys`, `Object.entries`)
 * included. A recursive model is cut at a fixed depth. The SDK's deserializers are not part of its public exports,
 * so the module file is located through the package's own package.json.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { armErrors } from '../../arm/errors.js';

/** One model's wire names: lower-case → canonical, each with the node of its value. */
interface NameNode {
  names: Map<string, string>;
  children: Map<string, NameNode>;
  /** Elements of an array value. */
  element?: NameNode;
  /** Values of a map (tags, node labels, addon profiles, user-assigned identities): its keys are data. */
  mapValue?: NameNode;
}

const MAX_DEPTH = 14;

const newNode = (): NameNode => ({ names: new Map(), children: new Map() });

/** A stand-in for a JSON value that records, in `node`, how a deserializer reads it. */
function recorder(node: NameNode, depth: number): unknown {
  if (depth > MAX_DEPTH) return undefined;
  return new Proxy(
    {},
    {
      get(_target, key) {
        if (key === Symbol.toPrimitive) return () => 0; // new Date(value)
        if (typeof key === 'symbol') return undefined;
        if (key === 'map') {
          const element = recorder((node.element ??= newNode()), depth + 1);
          return (fn: (x: unknown) => unknown) => (element === undefined ? [] : [fn(element)]);
        }
        if (node.mapValue) return recorder(node.mapValue, depth + 1);
        node.names.set(key.toLowerCase(), key);
        let child = node.children.get(key);
        if (!child) node.children.set(key, (child = newNode()));
        return recorder(child, depth + 1);
      },
      ownKeys() {
        node.mapValue ??= newNode();
        return ['*'];
      },
      getOwnPropertyDescriptor() {
        return { enumerable: true, configurable: true, writable: true, value: undefined };
      },
    },
  );
}

type Deserializer = (item: unknown) => unknown;

function record(deserializer: Deserializer): NameNode {
  const root = newNode();
  deserializer(recorder(root, 0));
  return root;
}

interface PropertyNameTables {
  managedCluster: NameNode;
  agentPool: NameNode;
}

let tables: Promise<PropertyNameTables> | undefined;

/** The SDK's model module, found through its package.json (its deserializers are not exported by name). */
async function sdkModels(): Promise<Record<string, Deserializer>> {
  const pkg = createRequire(import.meta.url).resolve('@azure/arm-containerservice/package.json');
  return (await import(pathToFileURL(join(dirname(pkg), 'dist', 'esm', 'models', 'models.js')).href)) as Record<string, Deserializer>;
}

export function propertyNameTables(): Promise<PropertyNameTables> {
  tables ??= sdkModels().then((m) => ({ managedCluster: record(m.managedClusterDeserializer!), agentPool: record(m.agentPoolDeserializer!) }));
  return tables;
}

/**
 * `value` with every property name the model knows in its canonical casing, recursively; names the model does not
 * know, and the keys of maps, are kept as they are. Two names for the same property in one object are refused.
 */
export function canonicalize(value: unknown, node: NameNode | undefined, path = ''): unknown {
  if (!node) return value;
  if (Array.isArray(value)) return value.map((v, i) => canonicalize(v, node.element, `${path}[${i}]`));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (node.mapValue) {
      out[key] = canonicalize(v, node.mapValue, `${path}.${key}`);
      continue;
    }
    const name = node.names.get(key.toLowerCase()) ?? key;
    const where = path ? `${path}.${name}` : name;
    if (name in out) {
      throw armErrors.invalidContent(`The request names property '${where}' twice ('${from[name]}' and '${key}'): property names are not case-sensitive, give it once.`);
    }
    from[name] = key;
    out[name] = canonicalize(v, node.children.get(name), where);
  }
  return out;
}
