/**
 * The ARM common types the swaggers reference by relative `$ref` into `specification/common-types/...`, which the
 * corpus does not hold. Written here from what Azure Resource Manager defines for every resource provider (the
 * resource envelope, systemData, the error body, the operations list, the standard path and query parameters);
 * versions v2..v6 of those files agree on everything the suite looks at, so one table serves them all.
 *
 * Keys are the file's base name (`types.json`); refs inside the table (`#/definitions/...`) stay in the table.
 */
const str = (extra: Record<string, unknown> = {}) => ({ type: 'string', ...extra });
const readOnly = (schema: Record<string, unknown>) => ({ ...schema, readOnly: true });

const identityType = (values: string[]) => ({ type: 'string', enum: values, 'x-ms-enum': { name: 'IdentityType', modelAsString: true } });

const typesJson = {
  definitions: {
    Resource: {
      type: 'object',
      properties: {
        id: readOnly(str()),
        name: readOnly(str()),
        type: readOnly(str()),
        systemData: readOnly({ $ref: '#/definitions/systemData' }),
      },
      'x-ms-azure-resource': true,
    },
    TrackedResource: {
      type: 'object',
      properties: {
        tags: { type: 'object', additionalProperties: str(), 'x-ms-mutability': ['read', 'create', 'update'] },
        location: str({ 'x-ms-mutability': ['read', 'create'] }),
      },
      required: ['location'],
      allOf: [{ $ref: '#/definitions/Resource' }],
    },
    ProxyResource: { type: 'object', allOf: [{ $ref: '#/definitions/Resource' }] },
    AzureEntityResource: { type: 'object', properties: { etag: readOnly(str()) }, allOf: [{ $ref: '#/definitions/Resource' }] },
    systemData: {
      type: 'object',
      properties: {
        createdBy: str(),
        createdByType: { $ref: '#/definitions/createdByType' },
        createdAt: str({ format: 'date-time' }),
        lastModifiedBy: str(),
        lastModifiedByType: { $ref: '#/definitions/createdByType' },
        lastModifiedAt: str({ format: 'date-time' }),
      },
    },
    createdByType: { type: 'string', enum: ['User', 'Application', 'ManagedIdentity', 'Key'], 'x-ms-enum': { name: 'createdByType', modelAsString: true } },
    ErrorResponse: { type: 'object', properties: { error: { $ref: '#/definitions/ErrorDetail' } } },
    ErrorDetail: {
      type: 'object',
      properties: {
        code: readOnly(str()),
        message: readOnly(str()),
        target: readOnly(str()),
        details: readOnly({ type: 'array', items: { $ref: '#/definitions/ErrorDetail' } }),
        additionalInfo: readOnly({ type: 'array', items: { $ref: '#/definitions/ErrorAdditionalInfo' } }),
      },
    },
    ErrorAdditionalInfo: { type: 'object', properties: { type: readOnly(str()), info: readOnly({ type: 'object' }) } },
    OperationListResult: {
      type: 'object',
      properties: { value: readOnly({ type: 'array', items: { $ref: '#/definitions/Operation' } }), nextLink: readOnly(str({ format: 'uri' })) },
    },
    Operation: {
      type: 'object',
      properties: {
        name: readOnly(str()),
        isDataAction: readOnly({ type: 'boolean' }),
        display: {
          type: 'object',
          properties: { provider: readOnly(str()), resource: readOnly(str()), operation: readOnly(str()), description: readOnly(str()) },
        },
        origin: readOnly({ type: 'string', enum: ['user', 'system', 'user,system'], 'x-ms-enum': { name: 'Origin', modelAsString: true } }),
        actionType: readOnly({ type: 'string', enum: ['Internal'], 'x-ms-enum': { name: 'ActionType', modelAsString: true } }),
      },
    },
    ManagedServiceIdentity: {
      type: 'object',
      properties: {
        principalId: readOnly(str({ format: 'uuid' })),
        tenantId: readOnly(str({ format: 'uuid' })),
        type: identityType(['None', 'SystemAssigned', 'UserAssigned', 'SystemAssigned,UserAssigned']),
        userAssignedIdentities: { type: 'object', additionalProperties: { $ref: '#/definitions/UserAssignedIdentity' } },
      },
      required: ['type'],
    },
    UserAssignedIdentity: { type: 'object', properties: { principalId: readOnly(str({ format: 'uuid' })), clientId: readOnly(str({ format: 'uuid' })) } },
  },
  parameters: {
    SubscriptionIdParameter: { name: 'subscriptionId', in: 'path', required: true, type: 'string' },
    ResourceGroupNameParameter: { name: 'resourceGroupName', in: 'path', required: true, type: 'string', 'x-ms-parameter-location': 'method' },
    ApiVersionParameter: { name: 'api-version', in: 'query', required: true, type: 'string' },
    LocationParameter: { name: 'location', in: 'path', required: true, type: 'string', 'x-ms-parameter-location': 'method' },
    ManagementGroupNameParameter: { name: 'managementGroupName', in: 'path', required: true, type: 'string', 'x-ms-parameter-location': 'method' },
    ScopeParameter: { name: 'scope', in: 'path', required: true, type: 'string', 'x-ms-skip-url-encoding': true, 'x-ms-parameter-location': 'method' },
    TenantIdParameter: { name: 'tenantId', in: 'path', required: true, type: 'string', 'x-ms-parameter-location': 'method' },
    OperationIdParameter: { name: 'operationId', in: 'path', required: true, type: 'string', 'x-ms-parameter-location': 'method' },
    If_Match: { name: 'If-Match', in: 'header', required: false, type: 'string', 'x-ms-parameter-location': 'method' },
    If_None_Match: { name: 'If-None-Match', in: 'header', required: false, type: 'string', 'x-ms-parameter-location': 'method' },
  },
};

/** A resource that a delegated managed identity may be attached to (`managedidentitywithdelegation.json`). */
const delegationJson = {
  definitions: {
    DelegatedResource: {
      type: 'object',
      properties: { resourceId: str(), tenantId: str({ format: 'uuid' }), referralResource: str(), location: str() },
    },
  },
  parameters: {},
};

export const ARM_COMMON_TYPES: Record<string, { definitions: Record<string, unknown>; parameters: Record<string, unknown> }> = {
  'types.json': typesJson,
  'managedidentitywithdelegation.json': delegationJson,
};
