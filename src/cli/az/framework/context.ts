/**
 * What a command gets when it runs: its parsed arguments' metadata, a lazily opened session with the instance
 * (ARM, Key Vault, Graph clients acting as the current principal), logging in az's style, and the progress
 * display for long-running operations.
 */
import { homedir } from 'node:os';
import { ArmClient, type LroProgress } from '../client/arm.js';
import { loadCredentials, type Credentials } from '../client/credentials.js';
import { GraphClient, VaultClient } from '../client/data-plane.js';
import { HttpClient } from '../client/http.js';
import { locateInstance, type Instance } from '../client/instance.js';
import { TokenCache, TokenProvider } from '../client/tokens.js';
import { paths } from '../../../config/data-dir.js';
import { Sealer } from '../../../secrets/sealer.js';
import { readFileSync } from 'node:fs';
import { AzCliError } from './errors.js';
import { createProgress } from './progress.js';

export interface Session {
  instance: Instance;
  credentials: Credentials;
  http: HttpClient;
  tokens: TokenProvider;
  arm: ArmClient;
  subscriptionId: string;
  tenantId: string;
  vault(name: string): VaultClient;
  graph: GraphClient;
}

export interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
}

export interface CommandContextOptions {
  prog: string;
  specified: Set<string>;
  dataDir?: string;
  subscription?: string;
  noWait: boolean;
  yes: boolean;
  debug: boolean;
  verbose: boolean;
  onlyShowErrors: boolean;
  io: Io;
}

export class CommandContext {
  private sessionPromise: Promise<Session> | undefined;
  private httpClient: HttpClient | undefined;

  constructor(readonly opts: CommandContextOptions) {}

  get prog(): string {
    return this.opts.prog;
  }

  get noWait(): boolean {
    return this.opts.noWait;
  }

  get env(): NodeJS.ProcessEnv {
    return this.opts.io.env;
  }

  /** The user's home directory (HOME first, as az's os.path.expanduser does). */
  get home(): string {
    return this.opts.io.env.HOME || homedir();
  }

  /** True when the user gave this argument on the command line. */
  given(dest: string): boolean {
    return this.opts.specified.has(dest);
  }

  get isInteractive(): boolean {
    return Boolean(this.opts.io.stdin.isTTY && this.opts.io.stderr.isTTY);
  }

  warn(message: string): void {
    if (!this.opts.onlyShowErrors) this.opts.io.stderr.write(`WARNING: ${message}\n`);
  }

  info(message: string): void {
    if (this.opts.verbose || this.opts.debug) this.opts.io.stderr.write(`INFO: ${message}\n`);
  }

  debug(message: string): void {
    if (this.opts.debug) this.opts.io.stderr.write(`DEBUG: ${message}\n`);
  }

  /**
   * knack's prompt_y_n: asks on the terminal ("(y/n)", or "(y/N)" with a default); without a terminal the
   * command stops, as az's does, with a hint to pass --yes.
   */
  async confirm(question: string, dflt?: 'y' | 'n'): Promise<void> {
    if (!this.isInteractive) throw new AzCliError('Unable to prompt for confirmation as no tty available. Use --yes.');
    const options = dflt === 'y' ? 'Y/n' : dflt === 'n' ? 'y/N' : 'y/n';
    for (;;) {
      this.opts.io.stderr.write(`${question} (${options}): `);
      const line = await this.readLine();
      if (line === undefined) throw new AzCliError('Operation cancelled.');
      const answer = line.trim().toLowerCase();
      if (answer === '' && dflt) {
        if (dflt === 'y') return;
        throw new AzCliError('Operation cancelled.');
      }
      if (answer === 'y' || answer === 'yes') return;
      if (answer === 'n' || answer === 'no') throw new AzCliError('Operation cancelled.');
    }
  }

  private lines: AsyncIterator<string> | undefined;
  private lineReader: { close(): void } | undefined;

  /** The next line typed on stdin (one reader for the whole command, so answers typed ahead are kept). */
  private async readLine(): Promise<string | undefined> {
    if (!this.lines) {
      const { createInterface } = await import('node:readline');
      const rl = createInterface({ input: this.opts.io.stdin, terminal: false });
      this.lineReader = rl;
      this.lines = rl[Symbol.asyncIterator]();
    }
    const next = await this.lines.next();
    return next.done ? undefined : next.value;
  }

  /** Progress for a long-running operation: a spinner on a terminal, silent otherwise. */
  progress(label?: string): LroProgress {
    return createProgress(this.opts.io.stderr, Boolean(this.opts.io.stderr.isTTY) && !this.opts.onlyShowErrors, label);
  }

  instance(): Instance {
    return locateInstance(this.opts.dataDir);
  }

  session(): Promise<Session> {
    this.sessionPromise ??= this.openSession();
    return this.sessionPromise;
  }

  private async openSession(): Promise<Session> {
    const instance = this.instance();
    const credentials = loadCredentials(instance);
    const http = new HttpClient(instance.baseUrl, instance.ca, (line) => this.debug(`cli.azure.cli.core.sdk.policies: ${line}`));
    this.httpClient = http;
    const cache = new TokenCache(instance.dataDir, new Sealer(readFileSync(paths.masterKey(instance.dataDir))));
    const tokens = new TokenProvider(http, credentials, cache);
    const subscriptionId = this.opts.subscription ?? credentials.subscriptionId;
    const vaults = new Map<string, VaultClient>();
    return {
      instance,
      credentials,
      http,
      tokens,
      arm: new ArmClient(http, tokens, subscriptionId),
      subscriptionId,
      tenantId: credentials.tenantId,
      vault: (name: string) => {
        let v = vaults.get(name.toLowerCase());
        if (!v) vaults.set(name.toLowerCase(), (v = new VaultClient(http, tokens, name)));
        return v;
      },
      graph: new GraphClient(http, tokens),
    };
  }

  /** Closes the keep-alive connection so the process can exit. */
  close(): void {
    this.httpClient?.close();
    this.lineReader?.close();
  }
}
