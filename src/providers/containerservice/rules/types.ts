/**
 * Validation as ordered lists of small rule functions per operation (rules/index.ts). A rule throws an ArmError
 * (4xx, code naming the rule, message saying what to do) and changes nothing; all rules run before any write, so a
 * refused request leaves everything as it was. Other features add their rules to the lists (Trusted Launch: a
 * pool rule; KMS: a cluster rule).
 */
import type { ArmResource } from '../../../arm/repository.js';
import type { KeyAccessAnswer, KeyAccessQuery } from '../../../keyvault/key-access.js';
import type { VaultResource } from '../../../keyvault/vault-model.js';
import type { KeyVersionRecord } from '../../../keyvault/key-store.js';
import type { PoolInput, PoolPlan } from '../pool-model.js';

export interface ClusterFacts {
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  location: string;
  /** The cluster's Kubernetes version after this request (patch), and before it (updates only). */
  kubernetesVersion: string;
  /** The version as the cluster shows it in kubernetesVersion ("1.33" or "1.33.5"). */
  kubernetesVersionRequested?: string;
  previousKubernetesVersion?: string;
  /** Whether the cluster has virtual nodes (the aciConnectorLinux add-on), which Trusted Launch does not support (T-4). */
  virtualNodes?: boolean;
}

export interface PoolRuleContext {
  phase: 'create' | 'update';
  apiVersion: string;
  now: Date;
  cluster: ClusterFacts;
  pool: PoolInput;
  /** The pool's Kubernetes version (patch) after this request. */
  kubernetesVersion: string;
  plan: PoolPlan;
  /** On update: the pool as it is, its Kubernetes version and plan (with the image its nodes run). */
  previous?: { pool: PoolInput; kubernetesVersion: string; plan: PoolPlan; image: string };
  /** Whether a preview feature is Registered on the subscription (SPEC C-8). */
  isFeatureRegistered(namespace: string, name: string): Promise<boolean>;
}

export type PoolRule = (ctx: PoolRuleContext) => void | Promise<void>;

export interface ClusterRuleContext {
  phase: 'create' | 'update';
  apiVersion: string;
  now: Date;
  cluster: ClusterFacts;
  /** The request's properties (as sent) and, on update, the stored ones. */
  properties: Record<string, unknown>;
  previousProperties?: Record<string, unknown>;
  identity: Record<string, unknown> | undefined;
  /** On update: the cluster's identity as it is (a request may leave `identity` out). */
  previousIdentity?: Record<string, unknown> | undefined;
  /** On update: the cluster's internal uid (its store prefix). */
  uid?: string;
  /** What the rules may look up beyond the request: a KMS key's vault, the cluster's identity, its KMS state. */
  lookups: ClusterLookups;
  /** Every pool the cluster will have after the request. */
  pools: PoolInput[];
  isFeatureRegistered(namespace: string, name: string): Promise<boolean>;
}

export type ClusterRule = (ctx: ClusterRuleContext) => void | Promise<void>;

/**
 * Read-only look-ups for cluster rules (a rule stays a function of its inputs: these are the inputs it may fetch).
 * The composition root builds them from the Key Vault service and the store.
 */
export interface ClusterLookups {
  /** The emulator's tenant (SPEC K-9: vaults of another tenant are refused). */
  tenantId: string;
  /** An ARM resource by id, or undefined (a private vault's resource id, a user-assigned identity). */
  resource<T extends ArmResource>(id: string): Promise<T | undefined>;
  /** A vault by name (public KMS vaults are named by the key id). */
  vaultByName(name: string): Promise<VaultResource | undefined>;
  /** A key's version, unless the key or the version does not exist or the key is deleted. */
  keyVersion(vaultName: string, keyName: string, version: string): Promise<KeyVersionRecord | undefined>;
  /** SPEC K-5: whether a principal may perform key operations (access policies or RBAC, as the data plane). */
  checkKeyAccess(q: KeyAccessQuery): Promise<KeyAccessAnswer>;
  /** How many secrets a cluster has (SPEC K-10's KMS v1 limit). */
  secretCount(uid: string): Promise<number>;
  /** A stored JSON document of the cluster's own features (its KMS state). */
  json<T>(key: string): Promise<T | undefined>;
}
