/**
 * Splits one shell command line into words and the control operators the node shell runs (`;`, `&&`, `||`, `|`),
 * with POSIX quoting: '...' is literal, "..." keeps spaces (backslash escapes " \ $ ` inside), a backslash outside
 * quotes escapes the next character, `#` at the start of a word starts a comment. Windows command lines (cmd)
 * have no backslash escapes: `reg query HKLM\SYSTEM\...` keeps its backslashes.
 *
 * Redirections, background jobs and expansions are not part of the node shell: they are refused with a message.
 */
export type ShellToken = { word: string } | { op: ';' | '&&' | '||' | '|' };

export class ShellSyntaxError extends Error {}

export function shellWords(line: string, opts: { backslashEscapes: boolean } = { backslashEscapes: true }): ShellToken[] {
  const out: ShellToken[] = [];
  let word = '';
  let inWord = false;
  const flush = () => {
    if (inWord) out.push({ word });
    word = '';
    inWord = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      flush();
      continue;
    }
    if (c === '#' && !inWord) break;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `''");
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && opts.backslashEscapes && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) j++;
        word += line[j];
      }
      if (j >= line.length) throw new ShellSyntaxError('unexpected EOF while looking for matching `"\'');
      inWord = true;
      i = j;
      continue;
    }
    if (c === '\\' && opts.backslashEscapes) {
      if (i + 1 < line.length) word += line[++i];
      inWord = true;
      continue;
    }
    if (c === ';' || c === '|' || c === '&') {
      flush();
      const two = line.slice(i, i + 2);
      if (two === '&&' || two === '||') {
        out.push({ op: two });
        i++;
      } else if (c === '&') {
        throw new ShellSyntaxError('background jobs (&) are not available in the node shell');
      } else out.push({ op: c });
      continue;
    }
    if ((c === '>' || c === '<') && opts.backslashEscapes) throw new ShellSyntaxError(`redirections (${c}) are not available in the node shell`);
    word += c;
    inWord = true;
  }
  flush();
  return out;
}

/** A command line as a list of `&&`/`||`/`;`-joined pipelines, each a list of argv. */
export interface CommandList {
  items: Array<{ pipeline: string[][]; /** how this item runs after the previous one */ after: ';' | '&&' | '||' }>;
}

export function parseCommandLine(line: string, opts?: { backslashEscapes: boolean }): CommandList {
  const tokens = shellWords(line, opts);
  const items: CommandList['items'] = [];
  let pipeline: string[][] = [];
  let argv: string[] = [];
  let after: ';' | '&&' | '||' = ';';
  const unexpected = (op: string) => new ShellSyntaxError(`syntax error near unexpected token \`${op}'`);
  for (const t of tokens) {
    if ('word' in t) {
      argv.push(t.word);
      continue;
    }
    if (argv.length === 0) throw unexpected(t.op);
    pipeline.push(argv);
    argv = [];
    if (t.op === '|') continue;
    items.push({ pipeline, after });
    pipeline = [];
    after = t.op;
  }
  if (argv.length > 0) pipeline.push(argv);
  else if (pipeline.length > 0 || after !== ';') throw new ShellSyntaxError('syntax error: unexpected end of file');
  if (pipeline.length > 0) items.push({ pipeline, after });
  return { items };
}
