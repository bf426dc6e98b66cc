/**
 * The terminal side of a container started with `tty: true` (what `kubectl debug -it` asks for): a pseudo-
 * terminal in canonical mode with echo, as the shell's readline leaves it for the user's keystrokes.
 *
 * - input is echoed; Enter (CR from a raw terminal, LF from a pipe) completes a line and echoes CRLF;
 * - Backspace/DEL erases a character, Ctrl-U the line, Ctrl-C discards it (^C), Ctrl-D on an empty line is
 *   end of input; escape sequences (arrow keys) are dropped;
 * - output newlines become CRLF (onlcr), and stdout and stderr are the one terminal.
 */
export type TerminalEvent = { type: 'echo'; text: string } | { type: 'line'; line: string } | { type: 'interrupt' } | { type: 'eof' };

export class LineDiscipline {
  private buffer = '';
  private escape: 'none' | 'esc' | 'csi' = 'none';
  /** The last input byte was CR: an LF right after it (CRLF from a pipe) is the same Enter. */
  private afterCr = false;

  /** Feeds input bytes; answers what the terminal does with them, in order. */
  feed(data: Buffer): TerminalEvent[] {
    const events: TerminalEvent[] = [];
    const echo = (text: string) => {
      const last = events[events.length - 1];
      if (last?.type === 'echo') last.text += text;
      else events.push({ type: 'echo', text });
    };
    for (const ch of data.toString('utf8')) {
      const cr = this.afterCr;
      this.afterCr = false;
      if (this.escape === 'esc') {
        this.escape = ch === '[' || ch === 'O' ? 'csi' : 'none';
        continue;
      }
      if (this.escape === 'csi') {
        if (ch >= '@' && ch <= '~') this.escape = 'none';
        continue;
      }
      switch (ch) {
        case '\x1b':
          this.escape = 'esc';
          break;
        case '\r':
        case '\n':
          if (ch === '\n' && cr) break;
          this.afterCr = ch === '\r';
          echo('\r\n');
          events.push({ type: 'line', line: this.buffer });
          this.buffer = '';
          break;
        case '\x7f':
        case '\b':
          if (this.buffer.length > 0) {
            this.buffer = [...this.buffer].slice(0, -1).join('');
            echo('\b \b');
          }
          break;
        case '\x15': // Ctrl-U
          echo('\b \b'.repeat([...this.buffer].length));
          this.buffer = '';
          break;
        case '\x03': // Ctrl-C
          echo('^C\r\n');
          this.buffer = '';
          events.push({ type: 'interrupt' });
          break;
        case '\x04': // Ctrl-D
          if (this.buffer === '') events.push({ type: 'eof' });
          break;
        case '\t':
          break;
        default:
          if (ch >= ' ') {
            this.buffer += ch;
            echo(ch);
          }
      }
    }
    return events;
  }

  /** What was typed but not yet entered. */
  pending(): string {
    return this.buffer;
  }
}

/** Output through the terminal: LF → CRLF. */
export function onlcr(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}
