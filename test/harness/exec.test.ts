import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execChecked, execCommand } from './exec.js';

describe('execCommand', () => {
  it('resolves with the exit code and output of a failing command', async () => {
    const result = await execCommand(['/bin/sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.deepEqual(result, { code: 7, signal: null, stdout: 'out\n', stderr: 'err\n' });
  });

  it('feeds input to stdin', async () => {
    assert.equal((await execCommand(['cat'], { input: 'piped' })).stdout, 'piped');
  });

  it('kills a command that outlives its timeout', async () => {
    const result = await execCommand(['sleep', '30'], { timeoutMs: 50 });
    assert.equal(result.signal, 'SIGKILL');
    assert.equal(result.code, null);
  });

  it('rejects when the command does not exist', async () => {
    await assert.rejects(execCommand(['/nonexistent/rltest-tool']), /cannot run \/nonexistent\/rltest-tool/);
  });

  it('execChecked rejects on a non-zero exit with the stderr', async () => {
    await assert.rejects(execChecked(['/bin/sh', '-c', 'echo broken >&2; exit 2']), /exit 2: broken/);
  });
});
