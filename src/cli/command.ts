/**
 * @module cli/command — the shape every command module has.
 *
 * The command table (`commands.ts`) holds only metadata and a lazy `load()` so that
 * `rocklet --help` and `rocklet version` never import heavy modules. A handler gets a
 * `CommandContext`, returns the process exit code, and prints only through `ctx.out`.
 */
import type { FlagSpec, ParsedFlags } from './flags.js';
import type { GlobalOptions } from './globals.js';

/** Where a command prints. stdout is for machine-readable output; diag lines go to stderr. */
export interface Output {
  /** Writes `text` to stdout as is (add your own newline). */
  stdout(text: string): void;
  /** One diagnostic line on stderr, prefixed with the command path: `gc: moving pod …`. */
  diag(line: string): void;
  /** Like diag, but only with `--debug`. */
  debug(line: string): void;
  /** A warning line on stderr: `<cmd>: warning: …`. */
  warn(line: string): void;
  /** True when stderr is a terminal (progress bars, prompts). */
  readonly stderrIsTTY: boolean;
  /** True when stdin is a terminal (interactive confirmation). */
  readonly stdinIsTTY: boolean;
  /**
   * Reads one line from stdin (for confirmations); undefined at end of input. With `secret`,
   * a terminal does not echo what is typed (passwords).
   */
  readLine(prompt: string, options?: { readonly secret?: boolean }): Promise<string | undefined>;
}

export interface CommandContext {
  /** The full command path, e.g. `image rm`. */
  readonly command: string;
  readonly globals: GlobalOptions;
  /** Flags of this command, parsed and typed by its FlagSpec. */
  readonly flags: ParsedFlags;
  /** Positional arguments (after flags; everything after `--` too). */
  readonly args: readonly string[];
  /** Raw argv after the command path, for commands that parse their own (e.g. `run`). */
  readonly rawArgs: readonly string[];
  readonly out: Output;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
  /** The root of the command table (completion and man pages read it; handlers cannot import it: it loads them). */
  readonly root: CommandSpec;
}

/** What a command module exports as `handler`. Returns the exit code (0 = success). */
export type CommandHandler = (ctx: CommandContext) => Promise<number>;

export interface CommandModule {
  readonly handler: CommandHandler;
}

export interface CommandSpec {
  /** The word after its parent, e.g. `rm` for `image rm`. */
  readonly name: string;
  readonly summary: string;
  /** Usage line after `rocklet <path>`, e.g. `[flags] IMAGE...`. */
  readonly usage: string;
  /** Longer help text shown by --help (optional). */
  readonly description?: string;
  readonly flags?: readonly FlagSpec[];
  /** Stop flag parsing at the first positional (for `enter UUID CMD…`, `run`). */
  readonly stopAtFirstPositional?: boolean;
  /** Lazily imports the implementation; absent = not implemented yet (exits 254). */
  readonly load?: () => Promise<CommandModule>;
  readonly subcommands?: readonly CommandSpec[];
  /** Hidden from help listings (aliases, internal entry points). */
  readonly hidden?: boolean;
  /** Every argument goes to the handler as `rawArgs` unparsed (`rocklet systemctl …`). */
  readonly passThrough?: boolean;
  /**
   * Runs inside the private systemd when one runs here (host mode, src/cli/host-route.ts), so
   * the daemon's pods and the command see the same /run.
   */
  readonly runsInHost?: boolean;
}
