/**
 * ARM error bodies: `{"error":{"code","message","target?","details?"}}` with a 4xx status (SPEC "clear error").
 * Codes and messages follow what Azure Resource Manager and the resource providers really answer, so that scripts
 * matching on them behave the same against aksemu and Azure.
 */
export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorDetail[];
}

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
    readonly details?: ArmErrorDetail[],
  ) {
    super(message);
    this.name = 'ArmError';
  }

  toBody(): { error: ArmErrorDetail } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.target ? { target: this.target } : {}),
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export const armErrors = {
  missingApiVersion: () =>
    new ArmError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests."),
  invalidApiVersion: (given: string, supported: string[]) =>
    new ArmError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${given}' is invalid. The supported versions are '${supported.join(',')}'.`,
    ),
  noRegisteredProvider: (given: string, type: string, supported: string[], locations: string[]) =>
    new ArmError(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location '${locations[0] ?? 'global'}' and API version '${given}' for type '${type}'. ` +
        `The supported api-versions are '${supported.join(', ')}'. The supported locations are '${locations.join(', ')}'.`,
    ),
  invalidContent: (detail: string) =>
    new ArmError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${detail}'.`),
  unsupportedMediaType: (type: string) =>
    new ArmError(415, 'UnsupportedMediaType', `The content media type '${type}' is not supported. Only 'application/json' is supported.`),
  subscriptionNotFound: (id: string) => new ArmError(404, 'SubscriptionNotFound', `The subscription '${id}' could not be found.`),
  resourceGroupNotFound: (name: string) => new ArmError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`),
  resourceNotFound: (type: string, name: string, resourceGroup: string) =>
    new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    ),
  invalidNamespace: (ns: string) => new ArmError(400, 'InvalidResourceNamespace', `The resource namespace '${ns}' is invalid.`),
  invalidResourceType: (type: string, ns: string, apiVersion: string) =>
    new ArmError(
      400,
      'InvalidResourceType',
      `The resource type '${type}' could not be found in the namespace '${ns}' for api version '${apiVersion}'.`,
    ),
  invalidRequestUri: (path: string) =>
    new ArmError(404, 'InvalidRequestUri', `The request URI '${path}' is not valid for Azure Resource Manager.`),
  methodNotAllowed: (method: string, path: string) =>
    new ArmError(405, 'MethodNotAllowed', `The HTTP method '${method}' is not supported at '${path}'.`),
  missingProperty: (name: string) => new ArmError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: 'Required property '${name}' not found in JSON.'.`),
  invalidParameter: (target: string, message: string) => new ArmError(400, 'InvalidParameter', message, target),
};
