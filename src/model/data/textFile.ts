/**
 * Text input, read one way everywhere (training and dev data, `translate --input`, stdin): one rule
 * for the encoding and one for lines, so a line number means the same thing in every message.
 *
 * Encoding: UTF-8, with or without a byte-order mark; UTF-16 LE or BE with a BOM (what Windows
 * PowerShell 5.1 writes by default) is decoded. NUL bytes, UTF-32, or UTF-16 without a BOM are not
 * text we read: refused, naming the file and the first bad line, with how to convert it. Lines whose
 * bytes are not valid UTF-8 are tolerated up to MAX_INVALID_SHARE of the lines (they come back with
 * `valid: false` and U+FFFD for the bad bytes); beyond that the whole file is refused.
 *
 * Lines: a line ends at LF, and a CR just before that LF belongs to the line end. A lone CR is an
 * ordinary character, as `wc -l`, `grep -n` and `sed` count lines. The last line needs no LF; a file
 * ending in LF has no extra empty line. Numbers are 1-based.
 */
import { createReadStream, statSync } from 'node:fs';
import { DataError } from './dataError';

export interface TextLine {
  text: string;
  /** 1-based line number. */
  line: number;
  /** False when the line's bytes were not valid UTF-8 (then `text` has U+FFFD for them). */
  valid: boolean;
}

/** Share of lines that may be invalid UTF-8 before the file counts as not UTF-8 text. */
export const MAX_INVALID_SHARE = 0.01;
/** A longer line means the input is not line-based text (and would only fill memory). */
export const MAX_LINE_BYTES = 1 << 20;

type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be';

const convertHint = (from: string) => `save it as UTF-8, e.g. \`iconv -f ${from} -t UTF-8 FILE > FILE.utf8.txt\` or, in PowerShell 7, \`Get-Content FILE | Set-Content -Encoding utf8 NEW\``;

/** Splits bytes into decoded lines, chunk by chunk; throws DataError for input that is not text. */
export class LineSplitter {
  private encoding: Encoding | null = null;
  private head: Buffer = Buffer.alloc(0);
  private pending: Buffer = Buffer.alloc(0);
  private pendingText = '';
  private utf16: TextDecoder | null = null;
  // ignoreBOM: the file's BOM is taken off once, here; a U+FEFF at the start of a later line is text.
  private readonly strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private readonly lenient = new TextDecoder('utf-8', { ignoreBOM: true });
  private looksLikeUtf16 = '';
  private n = 0;
  private bad = 0;
  private firstBad = 0;

  constructor(private readonly name: string) {}

  push(chunk: Uint8Array): TextLine[] {
    const out: TextLine[] = [];
    if (this.encoding === null) {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < 4) return out;
      this.chooseEncoding();
      const rest = this.head;
      this.head = Buffer.alloc(0);
      this.feed(rest, out);
    } else {
      this.feed(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), out);
    }
    return out;
  }

  end(): TextLine[] {
    const out: TextLine[] = [];
    if (this.encoding === null) {
      this.chooseEncoding();
      this.feed(this.head, out);
    }
    if (this.encoding === 'utf-8') {
      if (this.pending.length) this.emitBytes(this.pending, out);
    } else {
      try { this.pendingText += this.utf16!.decode(); } catch {
        throw this.error(`line ${this.n + 1}: ends in the middle of a UTF-16 character (an odd number of bytes); the file is cut short or not UTF-16`);
      }
      if (this.pendingText) this.emitText(this.pendingText, out);
    }
    if (this.bad > this.n * MAX_INVALID_SHARE) throw this.notUtf8();
    return out;
  }

  private chooseEncoding(): void {
    const h = this.head;
    if ((h[0] === 0xff && h[1] === 0xfe && h[2] === 0 && h[3] === 0) || (h[0] === 0 && h[1] === 0 && h[2] === 0xfe && h[3] === 0xff)) {
      throw this.error(`is UTF-32 text, which is not read; ${convertHint('UTF-32')}`);
    }
    if (h[0] === 0xef && h[1] === 0xbb && h[2] === 0xbf) { this.encoding = 'utf-8'; this.head = h.subarray(3); return; }
    if (h[0] === 0xff && h[1] === 0xfe) { this.setUtf16('utf-16le'); this.head = h.subarray(2); return; }
    if (h[0] === 0xfe && h[1] === 0xff) { this.setUtf16('utf-16be'); this.head = h.subarray(2); return; }
    this.encoding = 'utf-8';
    // UTF-16 without a BOM: NUL in every other byte. Only used to word the error if a NUL turns up.
    const sample = h.subarray(0, 64);
    let evenZero = 0;
    let oddZero = 0;
    for (let i = 0; i < sample.length; i++) if (sample[i] === 0) { if (i % 2) oddZero++; else evenZero++; }
    const half = sample.length / 2;
    if (half >= 2 && oddZero >= half * 0.6) this.looksLikeUtf16 = 'UTF-16LE';
    else if (half >= 2 && evenZero >= half * 0.6) this.looksLikeUtf16 = 'UTF-16BE';
  }

  private setUtf16(e: 'utf-16le' | 'utf-16be'): void {
    this.encoding = e;
    this.utf16 = new TextDecoder(e, { fatal: true, ignoreBOM: true });
  }

  private feed(chunk: Buffer, out: TextLine[]): void {
    if (this.encoding === 'utf-8') {
      let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      let start = 0;
      for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, start)) {
        this.emitBytes(buf.subarray(start, i), out);
        start = i + 1;
      }
      buf = buf.subarray(start);
      if (buf.length > MAX_LINE_BYTES) throw this.tooLong();
      // A copy, so the caller's (possibly large) chunk is not kept alive by a short remainder.
      this.pending = Buffer.from(buf);
      return;
    }
    let text: string;
    try { text = this.pendingText + this.utf16!.decode(chunk, { stream: true }); } catch {
      throw this.error(`line ${this.n + 1}: not valid ${this.encoding === 'utf-16le' ? 'UTF-16LE' : 'UTF-16BE'} (the byte-order mark says UTF-16); ${convertHint('UTF-16')}`);
    }
    let start = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
      this.emitText(text.slice(start, i), out);
      start = i + 1;
    }
    this.pendingText = text.slice(start);
    if (this.pendingText.length * 2 > MAX_LINE_BYTES) throw this.tooLong();
  }

  private emitBytes(bytes: Buffer, out: TextLine[]): void {
    this.n++;
    if (bytes.length && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    if (bytes.length > MAX_LINE_BYTES) throw this.tooLong();
    if (bytes.includes(0)) {
      throw this.error(this.looksLikeUtf16
        ? `line ${this.n}: looks like ${this.looksLikeUtf16} text without a byte-order mark, which is not read; ${convertHint(this.looksLikeUtf16)}`
        : `line ${this.n}: contains NUL bytes; this is not a text file`, this.n);
    }
    try {
      out.push({ text: this.strict.decode(bytes), line: this.n, valid: true });
    } catch {
      this.bad++;
      if (!this.firstBad) this.firstBad = this.n;
      // Clearly binary: no need to read the rest to know.
      if (this.bad >= 16 && this.bad > this.n / 2) throw this.notUtf8();
      out.push({ text: this.lenient.decode(bytes), line: this.n, valid: false });
    }
  }

  private emitText(text: string, out: TextLine[]): void {
    this.n++;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.includes('\0')) throw this.error(`line ${this.n}: contains NUL characters; this is not a text file`, this.n);
    out.push({ text, line: this.n, valid: true });
  }

  private notUtf8(): DataError {
    return this.error(`not UTF-8 text: ${this.bad} of ${this.n} lines read have bytes that are not UTF-8, the first at line ${this.firstBad}. ` +
      `If it is text in another encoding (such as Windows-1252 or Latin-1), ${convertHint('WINDOWS-1252')}`, this.firstBad);
  }

  private tooLong(): DataError {
    return this.error(`line ${this.n + 1} is longer than ${MAX_LINE_BYTES / 1048576} MiB; this is not line-based text`, this.n + 1);
  }

  private error(what: string, line?: number): DataError {
    return new DataError(`${this.name}: ${what}`, this.name, line);
  }
}

/** The decoded lines of a whole buffer (same rule as readTextLines). */
export function splitTextLines(bytes: Uint8Array, name: string): TextLine[] {
  const s = new LineSplitter(name);
  return [...s.push(bytes), ...s.end()];
}

/** Why a path cannot be read as an input file, as a DataError naming it; null when it can be opened. */
function checkInputPath(file: string, what: string): DataError | null {
  try {
    if (statSync(file).isDirectory()) return new DataError(`${file}: cannot read ${what}: it is a folder, not a file`, file);
    return null;
  } catch (e) {
    return readError(file, what, e);
  }
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file', EISDIR: 'it is a folder, not a file', EACCES: 'permission denied', EPERM: 'permission denied',
  ELOOP: 'too many symbolic links', ENAMETOOLONG: 'the name is too long', ENOTDIR: 'a part of the path is not a folder', EIO: 'input/output error',
};

function readError(file: string, what: string, e: unknown): DataError {
  const code = (e as NodeJS.ErrnoException).code;
  const words = code ? `${code}${ERRNO_WORDS[code] ? `: ${ERRNO_WORDS[code]}` : ''}` : (e as Error).message;
  return new DataError(`${file}: cannot read ${what} (${words})`, file);
}

/**
 * The lines of a file (by path) or of a byte stream such as stdin (then `name` names it in
 * messages), streamed chunk by chunk. `what` says what the file is for, in messages.
 */
export async function* readTextLines(source: string | AsyncIterable<Uint8Array | string>, name?: string, what = 'the file'): AsyncGenerator<TextLine> {
  const label = name ?? (typeof source === 'string' ? source : 'stdin');
  if (typeof source === 'string') {
    const problem = checkInputPath(source, what);
    if (problem) throw problem;
  }
  const splitter = new LineSplitter(label);
  const chunks = typeof source === 'string' ? createReadStream(source) : source;
  try {
    for await (const chunk of chunks) yield* splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw readError(label, what, e);
  }
  yield* splitter.end();
}

/** Every line of a file or stream, as text (invalid bytes as U+FFFD, within the tolerated share). */
export async function readAllTextLines(source: string | AsyncIterable<Uint8Array | string>, name?: string, what?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const l of readTextLines(source, name, what)) out.push(l.text);
  return out;
}
