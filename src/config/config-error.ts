// The one error type of config parsing: where (file:line), which key, and what was expected.
export interface ConfigErrorDetails {
  file: string;
  line: number;
  /** The key (or section header) the error is about, as written in the file. */
  key?: string;
  /** What would have been accepted, e.g. "a port 0-65535". */
  expected?: string;
  /** The offending text. */
  got?: string;
}

export class ConfigError extends Error {
  readonly file: string;
  readonly line: number;
  readonly key: string | undefined;
  readonly expected: string | undefined;
  readonly got: string | undefined;

  /** Without `problem` the message reads `file:line: key: expected E, got "G"`. */
  constructor(details: ConfigErrorDetails, problem?: string) {
    const where = `${details.file}:${details.line}:`;
    const what = problem ?? `${details.key}: expected ${details.expected}, got ${JSON.stringify(details.got ?? '')}`;
    super(`${where} ${what}`);
    this.name = 'ConfigError';
    this.file = details.file;
    this.line = details.line;
    this.key = details.key;
    this.expected = details.expected;
    this.got = details.got;
  }
}
