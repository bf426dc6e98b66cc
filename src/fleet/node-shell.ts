/**
 * A small node shell backed by a node's facts (SPEC C-9, F-7): enough of `cat`, `uname`, `hostname`, `openssl`,
 * `mokutil`, `reg query` and PowerShell's `Get-ItemPropertyValue` to read what the seeds read on a node. It is the
 * engine behind `aksemu node exec` and can back `kubectl debug node/...` sessions.
 *
 * F-7: workloads on FIPS nodes cannot use non-approved algorithms. `openssl dgst -md4` (or -md5) fails there the way
 * the node's OpenSSL fails (1.1.1's "disabled for FIPS", 3.0's "unsupported" with fips=yes), and works on other
 * nodes; digests are computed with the real OpenSSL inside Node.js (MD4 through OpenSSL's legacy provider, which is
 * what `-provider legacy` selects on an OpenSSL 3 node).
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { FIPS_POLICY_KEY } from './node-facts.js';
import type { NodeFacts } from './model.js';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const ok = (stdout: string): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
const fail = (exitCode: number, stderr: string, stdout = ''): ExecResult => ({ exitCode, stdout, stderr });

/** Digests a FIPS 140 OpenSSL provider offers; everything else is refused on FIPS nodes (F-7). */
const FIPS_APPROVED = new Set(['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha512-224', 'sha512-256', 'sha3-224', 'sha3-256', 'sha3-384', 'sha3-512']);
/** Digests OpenSSL 3 keeps in its legacy provider (unavailable unless `-provider legacy`). */
const LEGACY_ONLY = new Set(['md4', 'mdc2', 'whirlpool']);
const KNOWN = new Set([...FIPS_APPROVED, ...LEGACY_ONLY, 'md5', 'ripemd160', 'sm3']);

function label(alg: string, openssl: '1.1.1' | '3.0'): string {
  if (openssl === '1.1.1') return alg.toUpperCase().replace(/-/g, '');
  const m = /^sha(224|256|384|512)$/.exec(alg);
  return m ? `SHA2-${m[1]}` : alg.toUpperCase();
}

function digestUnavailable(facts: NodeFacts, alg: string): string {
  if (facts.openssl === '1.1.1') {
    return `Error setting digest\n140245275617088:error:060A80A3:digital envelope routines:FIPS_DIGESTINIT:disabled for FIPS:../crypto/evp/digest.c:135:\n`;
  }
  const props = facts.fipsEnabled ? 'fips=yes' : '<null>';
  return (
    `Error setting digest\n40F7A0B7D27F0000:error:0308010C:digital envelope routines:inner_evp_generic_fetch:unsupported:../crypto/evp/evp_fetch.c:355:Global default library context, Algorithm (${alg.toUpperCase()} : 0), Properties (${props})\n` +
    `40F7A0B7D27F0000:error:03000086:digital envelope routines:evp_md_init_internal:initialization error:../crypto/evp/digest.c:254:\n`
  );
}

/** MD4 lives in OpenSSL 3's legacy provider, which Node.js loads only when started with --openssl-legacy-provider. */
function legacyDigest(alg: string, data: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', `const c=[];process.stdin.on('data',d=>c.push(d)).on('end',()=>process.stdout.write(require('crypto').createHash(${JSON.stringify(alg)}).update(Buffer.concat(c)).digest('hex')))`], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(err.trim() || `exit ${code}`))));
    child.stdin.end(data);
  });
}

async function openssl(facts: NodeFacts, args: string[], stdin: Buffer): Promise<ExecResult> {
  if (args[0] === 'version') return ok(facts.openssl === '1.1.1' ? `OpenSSL 1.1.1f${facts.fipsEnabled ? '-fips' : ''}  31 Mar 2020\n` : `OpenSSL 3.0.13 30 Jan 2024 (Library: OpenSSL 3.0.13 30 Jan 2024)\n`);
  let rest = args;
  let alg: string | undefined;
  if (args[0] === 'dgst') rest = args.slice(1);
  else if (args[0] && KNOWN.has(args[0])) {
    alg = args[0];
    rest = args.slice(1);
  } else return fail(1, `Invalid command '${args[0] ?? ''}'; type "help" for a list.\n`);
  let legacy = false;
  const files: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '-provider') {
      legacy = legacy || rest[i + 1] === 'legacy';
      i++;
    } else if (a.startsWith('-')) {
      const name = a.slice(1).toLowerCase();
      if (!KNOWN.has(name)) return fail(1, `dgst: Unknown option or message digest: ${name}\n`);
      alg = name;
    } else files.push(a);
  }
  alg ??= 'sha256';
  // SPEC F-7: non-approved algorithms fail on FIPS nodes; OpenSSL 3 nodes need the legacy provider for MD4.
  if (facts.fipsEnabled && !FIPS_APPROVED.has(alg)) return fail(1, digestUnavailable(facts, alg));
  if (facts.openssl === '3.0' && LEGACY_ONLY.has(alg) && !legacy) return fail(1, digestUnavailable(facts, alg));
  const inputs: Array<[string, Buffer]> = [];
  if (files.length === 0) inputs.push(['stdin', stdin]);
  for (const f of files) {
    const content = facts.files[f];
    if (content === undefined) return fail(1, `Could not open file or uri for loading ${f}\n`);
    inputs.push([f, Buffer.from(content)]);
  }
  let out = '';
  for (const [name, data] of inputs) {
    const hex = LEGACY_ONLY.has(alg) ? await legacyDigest(alg, data) : createHash(alg).update(data).digest('hex');
    out += name === 'stdin' && facts.openssl === '1.1.1' ? `(stdin)= ${hex}\n` : `${label(alg, facts.openssl)}(${name})= ${hex}\n`;
  }
  return ok(out);
}

function linux(facts: NodeFacts, argv: string[], stdin: Buffer): Promise<ExecResult> | ExecResult {
  const [cmd, ...args] = argv;
  const unameArch = facts.arch === 'arm64' ? 'aarch64' : 'x86_64';
  switch (cmd) {
    case 'cat': {
      if (args.length === 0) return ok(stdin.toString('utf8'));
      let out = '';
      let err = '';
      for (const f of args) {
        const content = facts.files[f];
        if (content === undefined) err += `cat: ${f}: No such file or directory\n`;
        else out += content;
      }
      return err ? fail(1, err, out) : ok(out);
    }
    case 'uname': {
      const flag = args[0] ?? '-s';
      const parts: Record<string, string> = { '-s': 'Linux', '-r': facts.kernel, '-m': unameArch, '-n': facts.hostname };
      if (flag === '-a') return ok(`Linux ${facts.hostname} ${facts.kernel} #1 SMP ${unameArch} GNU/Linux\n`);
      if (!(flag in parts)) return fail(1, `uname: invalid option -- '${flag.replace(/^-+/, '')}'\n`);
      return ok(`${parts[flag]}\n`);
    }
    case 'hostname':
      return ok(`${facts.hostname}\n`);
    case 'echo':
      return ok(`${args.join(' ')}\n`);
    case 'openssl':
      return openssl(facts, args, stdin);
    case 'mount': {
      // SPEC F-8 (a known limitation, reported, not fixed): CIFS mounts fail on FIPS nodes, whose kernel disables
      // the MD4/NTLM authentication modules CIFS needs.
      const t = args.indexOf('-t');
      if (t < 0 || args[t + 1] !== 'cifs') return fail(1, 'mount: only "mount -t cifs //server/share DIR -o ..." is available on this node shell\n');
      if (facts.fipsEnabled) {
        return fail(32, 'mount error(13): Permission denied\nRefer to the mount.cifs(8) manual page (e.g. man mount.cifs) and kernel log messages (dmesg)\n');
      }
      return ok('');
    }
    case 'mokutil':
      if (args[0] !== '--sb-state') return fail(1, 'mokutil: only --sb-state is available on this node shell\n');
      if (facts.secureBoot === 'unsupported') return fail(255, 'EFI variables are not supported on this system\n');
      return ok(`SecureBoot ${facts.secureBoot}\n`);
    case undefined:
      return fail(2, 'no command given\n');
    default:
      return fail(127, `${cmd}: command not found\n`);
  }
}

function regQuery(facts: NodeFacts, args: string[]): ExecResult {
  const key = (args[0] ?? '').replace(/^HKEY_LOCAL_MACHINE\\/i, 'HKLM\\');
  const values = Object.entries(facts.registry).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
  if (!values) return fail(1, 'ERROR: The system was unable to find the specified registry key or value.\n');
  const v = args.findIndex((a) => a.toLowerCase() === '/v');
  const wanted = v >= 0 ? args[v + 1] : undefined;
  const rows = Object.entries(values).filter(([name]) => !wanted || name.toLowerCase() === wanted.toLowerCase());
  if (rows.length === 0) return fail(1, 'ERROR: The system was unable to find the specified registry key or value.\n');
  const long = key.replace(/^HKLM\\/i, 'HKEY_LOCAL_MACHINE\\');
  const lines = rows.map(([name, val]) => `    ${name}    ${val.type}    ${val.type === 'REG_DWORD' ? `0x${Number(val.data).toString(16)}` : val.data}`);
  return ok(`\r\n${long}\r\n${lines.join('\r\n')}\r\n\r\n`);
}

function powershell(facts: NodeFacts, script: string): ExecResult {
  const m = /Get-ItemPropertyValue\s+(?:-Path\s+)?['"]?([^'"\s]+)['"]?\s+-Name\s+['"]?(\w+)['"]?/i.exec(script);
  if (m) {
    const key = m[1]!.replace(/^HKLM:\\?/i, 'HKLM\\');
    const values = Object.entries(facts.registry).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
    const val = values && Object.entries(values).find(([n]) => n.toLowerCase() === m[2]!.toLowerCase())?.[1];
    if (!val) return fail(1, `Get-ItemPropertyValue : Property ${m[2]} does not exist at path ${m[1]}.\r\n`);
    return ok(`${val.data}\r\n`);
  }
  if (/^\s*hostname\s*$/i.test(script)) return ok(`${facts.hostname}\r\n`);
  return fail(1, `The term '${script.trim().split(/\s+/)[0]}' is not recognized as a name of a cmdlet, function, script file, or executable program.\r\n`);
}

function windows(facts: NodeFacts, argv: string[]): ExecResult {
  const [cmd, ...args] = argv;
  const c = (cmd ?? '').toLowerCase().replace(/\.exe$/, '');
  switch (c) {
    case 'reg':
      if ((args[0] ?? '').toLowerCase() !== 'query') return fail(1, 'ERROR: Invalid syntax. Only "reg query" is available on this node shell.\r\n');
      return regQuery(facts, args.slice(1));
    case 'hostname':
      return ok(`${facts.hostname}\r\n`);
    case 'powershell':
    case 'pwsh': {
      const i = args.findIndex((a) => /^-c(ommand)?$/i.test(a));
      return powershell(facts, (i >= 0 ? args.slice(i + 1) : args).join(' '));
    }
    case 'cmd':
      if ((args[0] ?? '').toLowerCase() === '/c') return windows(facts, args.slice(1));
      return fail(1, 'only "cmd /c COMMAND" is available on this node shell\r\n');
    case 'ver':
      return ok(`\r\nMicrosoft Windows [Version ${facts.kernel}]\r\n`);
    default:
      return fail(1, `'${cmd ?? ''}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n`);
  }
}

/** Runs `argv` on a node described by `facts`. */
export async function execOnNode(facts: NodeFacts, argv: string[], stdin: Buffer = Buffer.alloc(0)): Promise<ExecResult> {
  return facts.osType === 'Windows' ? windows(facts, argv) : linux(facts, argv, stdin);
}

export { FIPS_POLICY_KEY };
