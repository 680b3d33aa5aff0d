/**
 * @module cli/commands/complete — the hidden `rocklet __complete -- [WORD...] CURRENT` the
 * completion scripts call: prints the candidates for CURRENT, one per line, then a directive
 * line (`:none`, `:files`, `:dirs`). It answers a shell, not a person: a store it cannot read
 * gives no names (said on stderr with --debug), never an error in the middle of a prompt.
 */
import type { CommandHandler } from '../command.js';
import { completeWords, formatCompletion } from '../complete/engine.js';
import type { NameSource, TypedLocations } from '../complete/engine.js';

export const handler: CommandHandler = async (ctx) => {
  const words = [...ctx.args];
  const current = words.pop() ?? '';
  const quiet = (source: NameSource): NameSource => {
    const guard = async (what: string, read: () => Promise<string[]>): Promise<string[]> => {
      try {
        return await read();
      } catch (error) {
        ctx.out.debug(`no ${what} to offer: ${(error as Error).message}`);
        return [];
      }
    };
    return {
      podNames: () => guard('pod names', () => source.podNames()),
      podUuids: () => guard('pod UUIDs', () => source.podUuids()),
      imageNames: (prefix) => guard('image names', () => source.imageNames(prefix)),
    };
  };
  // The stores' code (image, pod and daemon layers) loads only when a name is asked for: a
  // shell waits on every Tab.
  const stores = (locations: TypedLocations): NameSource => {
    const source = async (): Promise<NameSource> => (await import('../complete/names.js')).storeNameSource(locations);
    return {
      podNames: async () => (await source()).podNames(),
      podUuids: async () => (await source()).podUuids(),
      imageNames: async (prefix) => (await source()).imageNames(prefix),
    };
  };
  const completion = await completeWords(ctx.root, words, current, (locations: TypedLocations) => quiet(stores(locations)));
  ctx.out.stdout(formatCompletion(completion));
  return 0;
};
