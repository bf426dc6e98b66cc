/**
 * How the seed documents are run end to end. Every command the extractor finds is run, in document order, in
 * one of the variants below; each variant starts from a fresh instance. What the articles leave to the reader is
 * added as explicit, commented steps (`setup`, `before`, `after`): the resource group and cluster the FIPS
 * articles start from, the credentials kubectl needs, the file ./newMOTD.txt, removing a pool before the article
 * shows another way to create one with the same name, a new key version before a rotation. Where an article
 * offers alternatives that cannot follow one another (an access-policy vault or an RBAC one, a public vault or a
 * private one), each alternative is its own variant. Where a command must be adapted, `rewrite` says why.
 */
import { backendBuilt } from '../support/cli.js';
import { debugSession, fipsTable, guid, jsonAfterPrompts, jsonWith, keyId, kmsTable, kubeSystemPods, nodeList, resourceId, secretsReplaced, type Check } from './checks.js';

export interface Adapt {
  run: string;
  why: string;
  /** What the session driven by the real current az runs instead (see AzDriver for why it may differ). */
  az?: string;
  stdin?: string;
  tty?: boolean;
}

export interface StepPlan {
  /** Line of the command in the seed file (as the extractor reports it). */
  line: number;
  rewrite?: { from: string; to: string; why: string };
  check?: Check;
  /** Answers for the prompts of a command run on a terminal (e.g. `aks upgrade`'s confirmations). */
  tty?: { stdin: string; why: string };
  /** kubectl debug: the article's example node name is replaced by the first node of this pool. */
  nodeOfPool?: string;
  /** Input of an interactive session (kubectl debug -it). */
  stdin?: string;
  /** The article's command is refused, as the article itself says it must be (cited rule). */
  refused?: { stderr: RegExp; why: string };
  /**
   * A known gap in a backend (not in the CLI): the command fails with this message today. The test asserts that
   * failure, so that the day the backend is fixed the test says so and the gap is removed; `after` carries on.
   */
  gap?: { stderr: RegExp; why: string };
  before?: Adapt[];
  after?: Adapt[];
  /** How the session driven by the real current az differs at this step. */
  az?: AzDriver;
}

/**
 * The current az (2.91) run verbatim meets what a reader meets today: options the article gets wrong that the
 * aksemu CLI accepts on purpose (`rewrite`, applied before the plan's own), defaults that changed since the
 * article was written, and steps that need Azure's public endpoints beyond the management and data planes
 * (`refused`: the az step must fail with this message, and the step is not compared).
 */
export interface AzDriver {
  rewrite?: { from: string; to: string; why: string };
  refused?: { stderr: RegExp; why: string };
}

/** az 2.61 and later create RBAC vaults unless told otherwise; the article's access-policy steps need the old default. */
const AZ_ACCESS_POLICY_VAULT: AzDriver = {
  rewrite: {
    from: '--resource-group MyResourceGroup',
    to: '--resource-group MyResourceGroup --enable-rbac-authorization false',
    why: "az 2.61 and later make RBAC the default for new vaults, and refuse `keyvault set-policy` on them; the article's access-policy path was written for the earlier default",
  },
};
/** The extension index is one of Azure's public endpoints that aksemu does not serve. */
const AZ_EXTENSION_INDEX: AzDriver = {
  refused: { stderr: /Unable to get extension index|The extension aks-preview is not installed/, why: 'az downloads extensions from Microsoft\'s extension index (aka.ms), outside the management and data planes aksemu serves; the current az does not need aks-preview for these commands' },
};

export interface Variant {
  name: string;
  /** Seed file prefix, e.g. '000'. */
  doc: string;
  emulatorArgs?: string[];
  setup: Adapt[];
  steps: StepPlan[];
}

export const EXCLUDED: Array<{ doc: string; line: number; why: string }> = [
  { doc: '003', line: 267, why: "placeholder '<AKS version>': the article's concrete example follows at line 269" },
];

const credentials: Adapt = { run: 'az aks get-credentials --resource-group myResourceGroup --name myAKSCluster --overwrite-existing', why: "kubectl needs the cluster's credentials (the FIPS articles assume them)" };
const fipsStart: Adapt[] = [
  { run: 'az group create --name myResourceGroup --location eastus -o none', why: 'the FIPS articles start from an existing resource group' },
  { run: 'az aks create --resource-group myResourceGroup --name myAKSCluster --node-count 1 --generate-ssh-keys -o none', why: 'and an existing cluster with its default pool nodepool1' },
  credentials,
];
/** What the reader types in the interactive session the articles open (SPEC C-9). */
const DEBUG_INPUT = 'cat /proc/sys/crypto/fips_enabled\nexit\n';
const SECRET: Adapt = { run: 'kubectl create secret generic app-credentials --from-literal=password=s3cret', why: 'the storage migration steps rewrite the secrets an application has stored; the article assumes there are some' };
/**
 * What the storage migration steps are for: the secret as it is at rest in the cluster's store (`aksemu store`),
 * KMS v1 / v2 envelopes or plain JSON. Checked when the KMS module is built into this tree; before that,
 * clusters accept the KMS settings but store secrets as they are.
 */
const KMS_BUILT = backendBuilt('providers/containerservice/kms/module.js');
const AT_REST = { 'kms-v1': '^k8s:enc:kms:v1:', 'kms-v2': '^k8s:enc:kms:v2:', plain: '^[{]' } as const;
const atRest = (kind: keyof typeof AT_REST): Adapt[] =>
  KMS_BUILT
    ? [
        {
          run: `K=$(aksemu store list /clusters/ | grep '/registry/secrets/default/app-credentials$') && aksemu store get "$K" > ./.at-rest && head -c 16 ./.at-rest | grep -Eq '${AT_REST[kind]}'`,
          why: `the secret at rest is ${kind === 'plain' ? 'plain JSON again (KMS off)' : `a ${kind.toUpperCase()} envelope`} after the storage migration`,
        },
      ]
    : [];
const removePool = (name: string, why: string): Adapt => ({ run: `az aks nodepool delete --resource-group myResourceGroup --cluster-name myAKSCluster --name ${name}`, why });
const addNp: Adapt = { run: 'az aks nodepool add --resource-group myResourceGroup --cluster-name myAKSCluster --name np --node-count 1 -o none', why: "the article updates an existing pool 'np' it never creates" };
const motdFile: Adapt = { run: "printf 'Welcome to a FIPS-enabled node pool\\n' > ./newMOTD.txt", why: 'the article passes ./newMOTD.txt without creating it' };
const motdCheck = jsonWith((o) => Buffer.from(String(o.messageOfTheDay ?? o.agentPoolProfiles?.[0]?.messageOfTheDay ?? ''), 'base64').toString() === 'Welcome to a FIPS-enabled node pool\n', 'messageOfTheDay = base64 of ./newMOTD.txt');

export const VARIANTS: Variant[] = [
  {
    name: 'FIPS node pools (Japanese article)',
    doc: '000',
    setup: fipsStart,
    steps: [
      { line: 41 },
      { line: 43, check: fipsTable({ fipsnp: true, nodepool1: false }) },
      { line: 47, check: nodeList(['fipsnp', 'nodepool1']) },
      { line: 52, nodeOfPool: 'fipsnp', stdin: DEBUG_INPUT, check: debugSession('fipsnp') },
      { line: 59, before: [removePool('fipsnp', "the Windows example reuses the name 'fipsnp' of the Linux example")] },
      { line: 61, check: fipsTable({ fipsnp: true, nodepool1: false }) },
      { line: 79, before: [addNp] },
      { line: 82, check: fipsTable({ np: true, nodepool1: false }) },
      { line: 86, check: nodeList(['np']) },
      { line: 91, nodeOfPool: 'np', stdin: DEBUG_INPUT, check: debugSession('np') },
      { line: 99 },
      { line: 102, check: fipsTable({ np: false, nodepool1: false }) },
      {
        line: 109,
        before: [{ run: 'az aks delete --resource-group myResourceGroup --name myAKSCluster --yes', why: 'the message-of-the-day section creates the cluster anew' }, motdFile],
        check: motdCheck,
        az: { rewrite: { from: 'az aks create --cluster-name', to: 'az aks create --name', why: 'az aks create has no --cluster-name (the aksemu CLI takes it as a synonym of --name so that the article runs as written)' } },
      },
      { line: 111, check: motdCheck },
    ],
  },
  {
    name: 'FIPS node pools (English article, with the preview feature flag)',
    doc: '001',
    setup: fipsStart,
    steps: [
      { line: 49 },
      { line: 62, check: fipsTable({ fipsnp: true, nodepool1: false }) },
      { line: 78, check: nodeList(['fipsnp', 'nodepool1']) },
      { line: 91, nodeOfPool: 'fipsnp', stdin: DEBUG_INPUT, check: debugSession('fipsnp') },
      { line: 105, before: [removePool('fipsnp', "the Windows example reuses the name 'fipsnp' of the Linux example")] },
      { line: 114, check: fipsTable({ fipsnp: true, nodepool1: false }) },
      { line: 150, az: AZ_EXTENSION_INDEX },
      { line: 153, az: AZ_EXTENSION_INDEX },
      { line: 160, check: jsonWith((o) => o.name === 'Microsoft.ContainerService/MutableFipsPreview' && ['Registering', 'Registered'].includes(o.properties?.state), 'the feature registering') },
      { line: 167, check: jsonWith((o) => ['Registering', 'Registered'].includes(o.properties?.state), 'the feature state') },
      { line: 171 },
      { line: 180, before: [addNp] },
      { line: 191, check: fipsTable({ np: true, nodepool1: false }) },
      { line: 207, check: nodeList(['np']) },
      { line: 220, nodeOfPool: 'np', stdin: DEBUG_INPUT, check: debugSession('np') },
      { line: 236 },
      { line: 247, check: fipsTable({ np: false, nodepool1: false }) },
    ],
  },
  {
    name: 'Trusted Launch',
    doc: '002',
    setup: [{ run: 'az group create --name myResourceGroup --location eastus -o none', why: 'the article starts from an existing resource group' }],
    steps: [
      { line: 10 },
      { line: 32, check: jsonWith((o) => o.agentPoolProfiles?.[0]?.securityProfile?.enableSecureBoot === true && o.agentPoolProfiles[0].securityProfile.enableVtpm === true, 'Secure Boot and vTPM on the default pool') },
      {
        line: 34,
        before: [
          {
            run: 'az aks create --name tlParams --resource-group myResourceGroup --enable-secure-boot --enable-utcm --generate-ssh-keys; test $? -eq 2',
            why: "SPEC T-1: the article's parameter list names --enable-utcm, which az does not have: refused as an unknown flag, with the hint --enable-vtpm",
          },
        ],
      },
      { line: 46, check: jsonWith((o) => o.securityProfile?.enableVtpm === true && o.securityProfile?.enableSecureBoot !== true, 'vTPM only') },
      { line: 48, before: [removePool('mynodepool', 'the second example adds a pool of the same name')], check: jsonWith((o) => o.securityProfile?.enableVtpm === true && o.securityProfile?.enableSecureBoot === true, 'vTPM and Secure Boot') },
      ...[64, 77, 82].map((line) => ({
        line,
        rewrite: { from: '--cluster-name myCluster', to: '--cluster-name myAKSCluster', why: "the article's update examples name the cluster myCluster; the cluster it creates is myAKSCluster" },
        check:
          line === 64
            ? jsonWith((o) => o.securityProfile?.enableSecureBoot === true && o.securityProfile?.enableVtpm === true, 'both on')
            : line === 77
              ? jsonWith((o) => o.securityProfile?.enableSecureBoot === false, 'Secure Boot off')
              : jsonWith((o) => o.securityProfile?.enableVtpm === false, 'vTPM off'),
      })),
    ],
  },
  {
    name: 'KMS with a public access-policy vault: create, rotate, disable, move the vault to private mode',
    doc: '003',
    setup: [{ run: 'az group create --name MyResourceGroup --location eastus -o none', why: 'the article starts from an existing resource group' }],
    steps: [
      { line: 11 },
      { line: 43, az: AZ_ACCESS_POLICY_VAULT },
      { line: 46 },
      { line: 49, check: keyId },
      { line: 50, check: keyId },
      { line: 71 },
      { line: 74, check: guid },
      { line: 75, check: guid },
      { line: 80, check: resourceId },
      { line: 81, check: resourceId },
      { line: 90 },
      {
        line: 101,
        check: jsonWith((o) => o.securityProfile?.azureKeyVaultKms?.enabled === true, 'KMS enabled'),
        after: [{ ...credentials, run: 'az aks get-credentials --resource-group MyResourceGroup --name myAKSCluster --overwrite-existing' }, SECRET],
      },
      { line: 17, check: kubeSystemPods },
      { line: 115, check: jsonWith((o) => o.securityProfile?.azureKeyVaultKms?.enabled === true, 'KMS enabled') },
      { line: 117, check: secretsReplaced, after: atRest('kms-v2') },
      {
        line: 127,
        before: [{ run: 'export NEW_KEY_ID=$(az keyvault key rotate --name MyKeyName --vault-name MyKeyVault --query key.kid -o tsv)', why: 'the article rotates to a new key version ($NEW_KEY_ID) it leaves to the reader' }],
        check: jsonWith((o, vars) => o.securityProfile?.azureKeyVaultKms?.keyId === vars.NEW_KEY_ID, 'the new key version in use'),
      },
      { line: 129, check: secretsReplaced, after: atRest('kms-v2') },
      { line: 223, check: jsonWith((o) => o.securityProfile?.azureKeyVaultKms?.enabled === false, 'KMS disabled') },
      { line: 225, check: secretsReplaced, after: atRest('plain') },
      { line: 228, check: jsonWith((o) => o.properties?.publicNetworkAccess === 'Disabled', 'public network access disabled') },
      {
        line: 234,
        before: [
          { run: 'export NewKEY_ID=$NEW_KEY_ID', why: 'the private-vault steps call the new key version $NewKEY_ID' },
          { run: 'export KEYVAULT_RESOURCE_ID=$(az keyvault show --name MyKeyVault --query id -o tsv)', why: 'the access-policy path of the article never captures the vault id the private mode needs' },
          {
            run: 'az role assignment create --role "Key Vault Contributor" --assignee-object-id $IDENTITY_OBJECT_ID --assignee-principal-type "ServicePrincipal" --scope $KEYVAULT_RESOURCE_ID -o none',
            why: "a private vault needs the cluster identity to hold Key Vault Contributor to create its private endpoint (the article's private-vault section, line 176)",
          },
          {
            run: 'az aks update --name myAKSCluster --resource-group MyResourceGroup --enable-apiserver-vnet-integration --apiserver-subnet-id /subscriptions/$(az account show --query id -o tsv)/resourceGroups/MyResourceGroup/providers/Microsoft.Network/virtualNetworks/myVnet/subnets/apiserver -o none',
            why: "SPEC K-6: a private vault works only with API Server VNet Integration (the article's warning); az moves an existing cluster's API server only into a subnet it is given (aksemu takes the subnet id as given: it does not model virtual networks)",
          },
        ],
        check: jsonWith((o) => o.securityProfile?.azureKeyVaultKms?.keyVaultNetworkAccess === 'Private', 'private network access'),
      },
      { line: 238, check: kmsTable('myAKSCluster', true) },
      { line: 240, check: jsonWith((o) => o.securityProfile?.azureKeyVaultKms?.enabled === false, 'KMS disabled') },
      { line: 242, check: secretsReplaced, after: atRest('plain') },
    ],
  },
  {
    name: 'KMS with a public RBAC vault',
    doc: '003',
    setup: [{ run: 'az group create --name MyResourceGroup --location eastus -o none', why: 'the article starts from an existing resource group' }],
    steps: [
      { line: 56, check: resourceId },
      // The reader is a user: the CLI signs in as the instance's default user, so the grant is principal type User.
      // (The next command, a key created in the RBAC vault, is what the grant is for.)
      { line: 58, check: jsonWith((o) => o.principalType === 'User' && /\/roleDefinitions\/14b46e9e-c2b7-41b4-b07b-48a6ebf60603$/i.test(o.roleDefinitionId), 'a Key Vault Crypto Officer grant to the signed-in user') },
      { line: 61 },
      { line: 64, check: keyId },
      { line: 65, check: keyId },
      { line: 71 },
      { line: 74, check: guid },
      { line: 80, check: resourceId },
      { line: 94 },
      { line: 101, check: jsonWith((o) => o.securityProfile?.azureKeyVaultKms?.enabled === true, 'KMS enabled') },
    ],
  },
  {
    name: 'KMS with a private vault',
    doc: '003',
    setup: [{ run: 'az group create --name MyResourceGroup --location eastus -o none', why: 'the article starts from an existing resource group' }],
    steps: [
      { line: 140, az: AZ_ACCESS_POLICY_VAULT },
      {
        line: 143,
        refused: { stderr: /Forbidden/, why: 'SPEC K-6: creating keys in a private vault without a private endpoint is unsupported (the article says so right after this command)' },
        after: [
          { run: 'az keyvault update --name MyKeyVault --resource-group MyResourceGroup --public-network-access Enabled -o none', why: 'so the key is created while the vault is reachable, then the vault goes private again' },
          { run: 'az keyvault key create --name MyKeyName --vault-name MyKeyVault -o none', why: '(as above)' },
          { run: 'export KEY_ID=$(az keyvault key show --name MyKeyName --vault-name MyKeyVault --query key.kid -o tsv)', why: 'the private-vault section reuses $KEY_ID' },
          { run: 'export NewKEY_ID=$(az keyvault key rotate --name MyKeyName --vault-name MyKeyVault --query key.kid -o tsv)', why: 'the rotation step uses $NewKEY_ID, a new key version the reader creates (here while the vault is reachable)' },
          { run: 'az keyvault update --name MyKeyVault --resource-group MyResourceGroup --public-network-access Disabled -o none', why: '(as above)' },
          { run: 'export KEYVAULT_RESOURCE_ID=$(az keyvault show --name MyKeyVault --query id -o tsv)', why: 'the private-vault section reuses $KEYVAULT_RESOURCE_ID' },
        ],
      },
      { line: 148 },
      { line: 151, check: guid },
      { line: 152, check: guid },
      { line: 157, check: resourceId },
      { line: 158, check: resourceId },
      { line: 169 },
      { line: 173 },
      { line: 176 },
      {
        line: 184,
        rewrite: { from: '--generate-ssh-keys', to: '--generate-ssh-keys --enable-apiserver-vnet-integration', why: "SPEC K-6: a private vault works only with API Server VNet Integration (the article's warning above the command)" },
        check: jsonWith((o) => o.securityProfile?.azureKeyVaultKms?.keyVaultNetworkAccess === 'Private', 'private network access'),
        after: [{ ...credentials, run: 'az aks get-credentials --resource-group MyResourceGroup --name myAKSCluster --overwrite-existing' }, SECRET],
      },
      { line: 200 },
      { line: 202, check: secretsReplaced, after: atRest('kms-v2') },
      { line: 213, check: jsonWith((o, vars) => o.securityProfile?.azureKeyVaultKms?.keyId === vars.NewKEY_ID, 'the new key version in use') },
      { line: 215, check: secretsReplaced, after: atRest('kms-v2') },
    ],
  },
  {
    name: 'KMS v1 to v2: disable, migrate, upgrade to 1.27, migrate',
    doc: '003',
    emulatorArgs: ['--now', '2023-08-01T00:00:00Z'],
    setup: [
      { run: 'az group create --name MyResourceGroup --location eastus -o none', why: 'a cluster below 1.27 with KMS v1, as the migration section assumes (the clock is set to when 1.26 was current)' },
      { run: 'az keyvault create --name MyKeyVault --resource-group MyResourceGroup -o none', az: 'az keyvault create --name MyKeyVault --resource-group MyResourceGroup --enable-rbac-authorization false -o none', why: '(as above; an access-policy vault, which the current az makes only when told)' },
      { run: 'az keyvault key create --name MyKeyName --vault-name MyKeyVault -o none', why: '(as above)' },
      { run: 'az identity create --name MyIdentity --resource-group MyResourceGroup -o none', why: '(as above)' },
      { run: "az keyvault set-policy --name MyKeyVault --key-permissions decrypt encrypt --object-id $(az identity show --name MyIdentity --resource-group MyResourceGroup --query principalId -o tsv) -o none", why: '(as above)' },
      {
        run: "az aks create --name myAKSCluster --resource-group MyResourceGroup --kubernetes-version 1.26 --node-count 1 --assign-identity $(az identity show --name MyIdentity --resource-group MyResourceGroup --query id -o tsv) --enable-azure-keyvault-kms --azure-keyvault-kms-key-vault-network-access Public --azure-keyvault-kms-key-id $(az keyvault key show --name MyKeyName --vault-name MyKeyVault --query key.kid -o tsv) --generate-ssh-keys -o none",
        why: '(as above)',
      },
      { run: 'az aks get-credentials --resource-group MyResourceGroup --name myAKSCluster --overwrite-existing', why: 'kubectl needs the credentials' },
      SECRET,
      ...atRest('kms-v1'),
    ],
    steps: [
      { line: 256, check: jsonWith((o) => o.securityProfile?.azureKeyVaultKms?.enabled === false, 'KMS disabled') },
      { line: 261, check: secretsReplaced, after: atRest('plain') },
      {
        line: 269,
        tty: { stdin: 'y\ny\n', why: 'az aks upgrade asks for confirmation twice; the reader answers y' },
        check: jsonAfterPrompts((o) => o.kubernetesVersion === '1.27.1' && o.currentKubernetesVersion === '1.27.1', "the cluster on 1.27.1, the article's example (AKS offered it on 2023-08-01)"),
      },
      {
        line: 276,
        before: [
          {
            run: 'az aks update --name myAKSCluster --resource-group MyResourceGroup --enable-azure-keyvault-kms --azure-keyvault-kms-key-vault-network-access Public --azure-keyvault-kms-key-id $(az keyvault key show --name MyKeyName --vault-name MyKeyVault --query key.kid -o tsv) -o none',
            why: "the article says to enable KMS again after the upgrade (then it is KMS v2) without giving the command; this is the article's own enable command",
          },
        ],
        check: secretsReplaced,
        after: atRest('kms-v2'),
      },
    ],
  },
];

/** Which backends (modules built into dist/) a command needs. */
export type Backend = 'containerservice' | 'keyvault' | 'kube';
export const BACKEND_MODULES: Record<Backend, string> = {
  containerservice: 'providers/containerservice/module.js',
  keyvault: 'keyvault/module.js',
  kube: 'kube/module.js',
};

export function backendsOf(command: string): Backend[] {
  const out = new Set<Backend>();
  if (/\bkubectl\b|aks get-credentials/.test(command)) out.add('kube');
  if (/\baz aks\b/.test(command)) out.add('containerservice');
  if (/\baz (keyvault|identity|role)\b/.test(command)) out.add('keyvault');
  return [...out];
}

/** Commands that only observe (kubectl, credentials): a missing backend skips them alone, not the variant. */
export function isObservation(command: string): boolean {
  return /^\s*kubectl\b/.test(command) || /^az aks get-credentials\b/.test(command);
}
