/**
 * The protobuf message layouts (protobuf.ts) of the authentication, authorization and RBAC kinds: the reviews
 * `kubectl auth whoami|can-i` send, and the Roles, ClusterRoles and bindings `kubectl create role|clusterrole|
 * rolebinding|clusterrolebinding` send (field numbers of Kubernetes' generated.proto).
 */

/** [json name, type, flags]: type is a scalar, 'map:<value type>' or a message name; flags r=repeated, p=pointer, i=inline. */
type FieldSpec = [string, string, string?];
export type MessageSpec = Record<number, FieldSpec>;

const REVIEWS: Record<string, MessageSpec> = {
  SelfSubjectReview: { 1: ['metadata', 'ObjectMeta'], 2: ['status', 'SelfSubjectReviewStatus'] },
  SelfSubjectReviewStatus: { 1: ['userInfo', 'UserInfo'] },
  UserInfo: { 1: ['username', 'string'], 2: ['uid', 'string'], 3: ['groups', 'string', 'r'] },
  SelfSubjectAccessReview: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'SelfSubjectAccessReviewSpec'], 3: ['status', 'SubjectAccessReviewStatus'] },
  SelfSubjectAccessReviewSpec: { 1: ['resourceAttributes', 'ResourceAttributes', 'p'], 2: ['nonResourceAttributes', 'NonResourceAttributes', 'p'] },
  ResourceAttributes: { 1: ['namespace', 'string'], 2: ['verb', 'string'], 3: ['group', 'string'], 4: ['version', 'string'], 5: ['resource', 'string'], 6: ['subresource', 'string'], 7: ['name', 'string'] },
  NonResourceAttributes: { 1: ['path', 'string'], 2: ['verb', 'string'] },
  SubjectAccessReviewStatus: { 1: ['allowed', 'bool'], 4: ['denied', 'bool'], 2: ['reason', 'string'], 3: ['evaluationError', 'string'] },
  SubjectAccessReview: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'SubjectAccessReviewSpec'], 3: ['status', 'SubjectAccessReviewStatus'] },
  SubjectAccessReviewSpec: {
    1: ['resourceAttributes', 'ResourceAttributes', 'p'],
    2: ['nonResourceAttributes', 'NonResourceAttributes', 'p'],
    3: ['user', 'string'],
    4: ['groups', 'string', 'r'],
    5: ['extra', 'map:ExtraValue'],
    6: ['uid', 'string'],
  },
  ExtraValue: { 1: ['items', 'string', 'r'] },
  SelfSubjectRulesReview: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'SelfSubjectRulesReviewSpec'], 3: ['status', 'SubjectRulesReviewStatus'] },
  SubjectRulesReviewStatus: { 1: ['resourceRules', 'ResourceRule', 'r'], 2: ['nonResourceRules', 'NonResourceRule', 'r'], 3: ['incomplete', 'bool'], 4: ['evaluationError', 'string'] },
  ResourceRule: { 1: ['verbs', 'string', 'r'], 2: ['apiGroups', 'string', 'r'], 3: ['resources', 'string', 'r'], 4: ['resourceNames', 'string', 'r'] },
  NonResourceRule: { 1: ['verbs', 'string', 'r'], 2: ['nonResourceURLs', 'string', 'r'] },
  SelfSubjectRulesReviewSpec: { 1: ['namespace', 'string'] },
};

const RBAC: Record<string, MessageSpec> = {
  Role: { 1: ['metadata', 'ObjectMeta'], 2: ['rules', 'PolicyRule', 'r'] },
  ClusterRole: { 1: ['metadata', 'ObjectMeta'], 2: ['rules', 'PolicyRule', 'r'], 3: ['aggregationRule', 'AggregationRule', 'p'] },
  PolicyRule: { 1: ['verbs', 'string', 'r'], 2: ['apiGroups', 'string', 'r'], 3: ['resources', 'string', 'r'], 4: ['resourceNames', 'string', 'r'], 5: ['nonResourceURLs', 'string', 'r'] },
  AggregationRule: { 1: ['clusterRoleSelectors', 'LabelSelector', 'r'] },
  LabelSelector: { 1: ['matchLabels', 'map:string'], 2: ['matchExpressions', 'LabelSelectorRequirement', 'r'] },
  LabelSelectorRequirement: { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', 'string', 'r'] },
  RoleBinding: { 1: ['metadata', 'ObjectMeta'], 2: ['subjects', 'Subject', 'r'], 3: ['roleRef', 'RoleRef'] },
  ClusterRoleBinding: { 1: ['metadata', 'ObjectMeta'], 2: ['subjects', 'Subject', 'r'], 3: ['roleRef', 'RoleRef'] },
  Subject: { 1: ['kind', 'string'], 2: ['apiGroup', 'string'], 3: ['name', 'string'], 4: ['namespace', 'string'] },
  RoleRef: { 1: ['apiGroup', 'string'], 2: ['kind', 'string'], 3: ['name', 'string'] },
};

export const AUTHORIZATION_MESSAGES: Record<string, MessageSpec> = { ...REVIEWS, ...RBAC };

export const AUTHORIZATION_KINDS: Record<string, string> = {
  'authentication.k8s.io/v1/SelfSubjectReview': 'SelfSubjectReview',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
  'authorization.k8s.io/v1/SubjectAccessReview': 'SubjectAccessReview',
  'rbac.authorization.k8s.io/v1/Role': 'Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'ClusterRoleBinding',
};
