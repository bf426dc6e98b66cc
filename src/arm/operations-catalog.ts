/**
 * `GET /providers/{namespace}/operations`: the operations a resource provider offers, as every provider lists them
 * (SPEC Z-1, P-4). aksemu's list is exactly the Azure actions its routes authorize, so it names what the emulator
 * really does (and what a custom role may grant), with display strings made from the action's parts.
 */
import type { Arm } from './arm.js';
import { armErrors } from './errors.js';

/** The providers' display names, as Azure shows them. */
const PROVIDER_NAMES: Record<string, string> = {
  'microsoft.containerservice': 'Microsoft Container Service',
  'microsoft.managedidentity': 'Managed Service Identity',
  'microsoft.keyvault': 'Microsoft Key Vault',
  'microsoft.authorization': 'Microsoft Authorization',
  'microsoft.resources': 'Microsoft Resources',
  'microsoft.compute': 'Microsoft Compute',
  'microsoft.network': 'Microsoft Network',
};

const words = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());

function display(provider: string, action: string) {
  const parts = action.split('/').slice(1);
  const verb = parts.pop()!.toLowerCase();
  const named = verb === 'action' ? parts.pop()! : undefined;
  const resource = parts.map(words).join(' ') || provider;
  const operation =
    named !== undefined ? `${words(named)} ${resource}` : verb === 'read' ? `Get ${resource}` : verb === 'write' ? `Create or Update ${resource}` : verb === 'delete' ? `Delete ${resource}` : `${words(verb)} ${resource}`;
  return { provider, resource, operation, description: `${operation} (${action}).` };
}

export function registerOperationsCatalog(arm: Arm): void {
  arm.router.add({
    methods: ['GET'],
    path: '/providers/{namespace}/operations',
    // Real providers answer any api-version of theirs here; one is still required.
    apiVersions: () => undefined,
    authorization: { anyCaller: "a provider's operations are public to every signed-in caller, as in Azure" },
    handler: async (req) => {
      const ns = arm.types.namespace(req.params.namespace!);
      if (!ns) throw armErrors.invalidNamespace(req.params.namespace!);
      const prefix = `${ns.namespace.toLowerCase()}/`;
      const actions = new Map<string, string>();
      actions.set(`${prefix}operations/read`, `${ns.namespace}/operations/read`);
      for (const route of arm.router.all()) {
        const auth = route.authorization;
        if ('action' in auth && typeof auth.action === 'string' && auth.action.toLowerCase().startsWith(prefix)) actions.set(auth.action.toLowerCase(), auth.action);
      }
      const provider = PROVIDER_NAMES[ns.namespace.toLowerCase()] ?? ns.namespace;
      const value = [...actions.values()].sort((a, b) => a.localeCompare(b)).map((name) => ({ name, display: display(provider, name), origin: 'user,system' }));
      return { status: 200, body: { value } };
    },
  });
}
