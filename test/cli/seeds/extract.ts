/**
 * Extracts the shell commands of the seed documents (../shared/seeds/): every `az ...` and `kubectl ...` command
 * line, the variable assignments that capture an az result (`export KEY_ID=$(az ...)`, `IDENTITY_OBJECT_ID=$(az
 * ...)`) and the `echo $VAR` lines, in document order. The documents are HTML flattened to text, so a command is
 * written either on indented lines joined by a trailing backslash (the English article) or on one line with the
 * backslashes left inline (`az aks show \ --resource-group ...`); both become one command. Prose that merely
 * mentions a command (Japanese text around it, `az aks nodepool add コマンドと`) is not a command; nor is a bare
 * `az keyvault key create` or `kubectl debug` standing alone where the article names the command in the text (every
 * runnable az command of the seeds has arguments); a command with a placeholder (`<AKS version>`) is kept but
 * marked. In the Japanese articles a code block follows the sentence that introduces it on the same line
 * ("...作成します。az aks nodepool add \ ..."): the command starts after the sentence's full stop.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type StepKind = 'az' | 'kubectl' | 'assign' | 'echo';

export interface SeedStep {
  /** Seed file name. */
  doc: string;
  /** 1-based line where the command starts. */
  line: number;
  /** The command as one line, as a user would paste it into a shell. */
  command: string;
  kind: StepKind;
  /** The article left a placeholder to fill in (e.g. `<AKS version>`). */
  placeholder?: boolean;
}

const CJK = /[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]/;
const START = /^(?:(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=\$\(az\s|az\s+[-a-z]|kubectl\s+[a-z]|echo\s+\$[A-Za-z_])/;

function kindOf(command: string): StepKind {
  if (/^(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=/.test(command)) return 'assign';
  if (command.startsWith('echo ')) return 'echo';
  return command.startsWith('kubectl') ? 'kubectl' : 'az';
}

/** The part of a line where a command starts: the whole line, or what follows a Japanese full stop. */
function commandStart(line: string): string | undefined {
  const t = line.trim();
  if (t.startsWith('#')) return undefined;
  return [t, ...t.split('。').slice(1).map((x) => x.trim())].find((x) => START.test(x));
}

/** A command named in the text rather than given to run: an az command without any option, `kubectl <verb>` alone. */
function isMention(command: string, kind: StepKind): boolean {
  if (kind === 'az') return !/\s-/.test(command);
  if (kind === 'kubectl') return command.split(/\s+/).length < 3;
  return false;
}

export function extractSteps(text: string, doc: string): SeedStep[] {
  const lines = text.split('\n');
  const steps: SeedStep[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = commandStart(lines[i]!);
    if (first === undefined) continue;
    const line = i + 1;
    let command = first;
    // A trailing backslash continues the command on the next line.
    while (/\\$/.test(command) && i + 1 < lines.length) command = `${command.slice(0, -1).trimEnd()} ${lines[++i]!.trim()}`;
    // Inline continuations of the flattened HTML: "az aks show \ --resource-group ..." is one command.
    command = command.replace(/\s+\\\s+/g, ' ').trim();
    if (CJK.test(command)) continue;
    const kind = kindOf(command);
    if (isMention(command, kind)) continue;
    // The inline-code mention right before its code block ("kubectl get nodes / ...。kubectl get nodes") is one step.
    const prev = steps[steps.length - 1];
    if (prev && prev.command === command && line - prev.line <= 2) steps.pop();
    steps.push({ doc, line, command, kind, ...(/<[^>]+>/.test(command) ? { placeholder: true } : {}) });
  }
  return steps;
}

export function seedFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort();
}

export function extractAll(dir: string): SeedStep[] {
  return seedFiles(dir).flatMap((f) => extractSteps(readFileSync(join(dir, f), 'utf8'), f));
}
