/**
 * Errors the az-compatible commands report, printed as az 2.45+ prints them on stderr, with az's exit codes:
 *   2  argument parsing (unknown arguments, missing required ones, invalid values, a --query that does not parse)
 *   3  the service answered 404 (ResourceNotFoundError)
 *   1  anything else (validation in the command, service errors, connection problems)
 * Never a stack trace (AKSEMU_DEBUG=1 or --debug adds one).
 */

/** Links az prints under usage errors (the offline form of its "AI knowledge base" block). */
export const CLI_REFERENCE = 'https://aka.ms/cli_ref';
export const QUERY_REFERENCE = "To learn more about --query, please visit: 'https://docs.microsoft.com/cli/azure/query-azure-cli'";

export class AzCliError extends Error {
  readonly recommendations: string[] = [];
  /** Example commands shown after a usage error ("Examples from AI knowledge base"). */
  examples: Array<{ name: string; text: string }> | undefined;
  constructor(
    message: string,
    readonly exitCode = 1,
    recommendations: string[] = [],
  ) {
    super(message);
    this.name = 'AzCliError';
    this.recommendations.push(...recommendations);
  }
}

/** A command-line usage problem (argparse's error()): exit code 2. */
export class ArgumentUsageError extends AzCliError {
  constructor(message: string, recommendations: string[] = []) {
    super(message, 2, recommendations);
    this.name = 'ArgumentUsageError';
  }
}

/** A problem a command's validation finds (az's InvalidArgumentValueError, MutuallyExclusiveArgumentError ...). */
export class ValidationError extends AzCliError {
  constructor(message: string, recommendations: string[] = []) {
    super(message, 1, recommendations);
    this.name = 'ValidationError';
  }
}

export interface ServiceErrorBody {
  code?: string;
  message?: string;
  target?: string;
  details?: ServiceErrorBody[];
  innererror?: unknown;
  innerError?: unknown;
}

/**
 * An error answer from a service (ARM, Key Vault, Graph), printed as azure-core's HttpResponseError:
 *   ERROR: (Code) Message
 *   Code: Code
 *   Message: Message
 */
export class ServiceError extends AzCliError {
  constructor(
    readonly status: number,
    readonly body: ServiceErrorBody,
    fallbackMessage: string,
  ) {
    super(formatServiceError(body, fallbackMessage), status === 404 ? 3 : 1);
    this.name = 'ServiceError';
  }

  get code(): string | undefined {
    return this.body.code;
  }
}

function formatServiceError(body: ServiceErrorBody, fallback: string): string {
  if (!body.code && !body.message) return fallback;
  const lines = [`(${body.code ?? 'Unknown'}) ${body.message ?? ''}`, `Code: ${body.code ?? 'Unknown'}`, `Message: ${body.message ?? ''}`];
  if (body.target) lines.push(`Target: ${body.target}`);
  if (body.details && body.details.length > 0) {
    lines.push('Exception Details:');
    for (const d of body.details) {
      const detail = [`(${d.code}) ${d.message}`, `Code: ${d.code}`, `Message: ${d.message}`];
      if (d.target) detail.push(`Target: ${d.target}`);
      lines.push(...detail.map((l) => `\t${l}`));
    }
  }
  const inner = body.innererror ?? body.innerError;
  if (inner !== undefined && inner !== null) lines.push(`Inner error: ${JSON.stringify(inner, null, 4)}`);
  return lines.join('\n');
}

/** Renders an error the way az prints it on stderr. */
export function renderError(err: AzCliError): string {
  const out = [`ERROR: ${err.message}`];
  for (const r of err.recommendations) out.push(r);
  if (err.examples !== undefined) {
    out.push('', 'Examples from AI knowledge base:');
    for (const ex of err.examples.slice(0, 3)) out.push(ex.text, ex.name, '');
    out.push(CLI_REFERENCE, 'Read more about the command in reference docs');
  }
  return `${out.join('\n')}\n`;
}
