/**
 * @module cli/commands/passthrough — `rocklet systemctl …` and `rocklet journalctl …`: the tool,
 * with the arguments as given, against the systemd that runs rocklet's pods. Under a systemd
 * PID 1 that is the machine's own (the tools run as they are); otherwise the private systemd of
 * the host mode, entered with nsenter, so `rocklet systemctl status rocklet-web.slice` works
 * where `systemctl` alone cannot.
 */
import { underSystemd } from '../../host/index.js';
import { unavailable } from '../../util/index.js';
import type { CommandHandler } from '../command.js';
import { ROUTED_ENV, hostToRouteTo, nsenterArgv, runInherited } from '../host-route.js';

function passThrough(tool: 'systemctl' | 'journalctl'): CommandHandler {
  return async (ctx) => {
    if (ctx.env[ROUTED_ENV] === '1' || (await underSystemd())) return runInherited([tool, ...ctx.rawArgs], ctx.env);
    const host = await hostToRouteTo(ctx.env);
    if (host === undefined) {
      throw unavailable('ERR_HOST_NOT_RUNNING', `PID 1 is not systemd here and rocklet's private systemd is not running, so there is no ${tool} to talk to`, {
        hint: 'rocklet host start (install.sh starts it)',
      });
    }
    return runInherited(nsenterArgv(host.pid, host.privateNetwork, [tool, ...ctx.rawArgs], '/'), { ...ctx.env, [ROUTED_ENV]: '1' });
  };
}

export const systemctl = passThrough('systemctl');
export const journalctl = passThrough('journalctl');
