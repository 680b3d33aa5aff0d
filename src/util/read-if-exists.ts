/** @module util/read-if-exists — a file's text, or undefined when it does not exist (any other error is thrown). */
import { readFile } from 'node:fs/promises';
import { errnoCode } from './errors.js';

/** Read `file` as UTF-8; undefined when it does not exist. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}
