/** The error for input data the engine cannot use: it names the file and, where known, the line. */
export class DataError extends Error {
  constructor(message: string, readonly file?: string, readonly line?: number) {
    super(message);
    this.name = 'DataError';
  }
}
