/** Test helper: writes a pod file as provisioning tools do (temp name, then rename), mode 0644. */
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function writePodFile(dir: string, file: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${file}.tmp`);
  await writeFile(temp, text);
  await chmod(temp, 0o644);
  await rename(temp, path.join(dir, file));
}
