/**
 * @module cli/logs/sink — writes log lines to stdout with backpressure: a reader slower than
 * the journal (a pipe into `less`, a slow terminal) pauses the reading instead of making
 * rocklet buffer everything in memory. A reader that went away (EPIPE: `rocklet logs … | head`)
 * ends the output quietly.
 */
import { formatUsec } from '../../pod/index.js';

export class LineSink {
  #closed = false;
  #atLineStart = true;

  constructor(private readonly stream: NodeJS.WritableStream, private readonly timestamps: boolean) {
    stream.on('error', () => {
      this.#closed = true;
    });
  }

  /** The reader went away: stop producing. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * One piece of output written at `timeUsec`; `newline` ends it as a line. With timestamps each
   * line starts with its time in RFC 3339 (µs), as kubectl's --timestamps.
   */
  async write(content: string | Buffer, timeUsec: number, newline: boolean): Promise<void> {
    if (this.#closed) return;
    const prefix = this.timestamps && this.#atLineStart ? `${formatUsec(timeUsec)} ` : '';
    const chunk = typeof content === 'string' ? `${prefix}${content}${newline ? '\n' : ''}` : Buffer.concat([Buffer.from(prefix), content, Buffer.from(newline ? '\n' : '')]);
    this.#atLineStart = newline;
    if (this.stream.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('error', done);
      this.stream.on('close', done);
    });
  }
}
