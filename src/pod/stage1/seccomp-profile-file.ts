/**
 * @module pod/stage1/seccomp-profile-file — a seccomp `Localhost` profile's text → the OCI
 * seccomp object crun loads (runtime-spec `linux.seccomp`, the format of the Kubernetes
 * documentation's example profiles). Pure. Anything crun would misread is refused here with
 * the JSON path, so a bad profile stops the pod before it is created, never at start.
 */
import { invalidArgument } from '../../util/index.js';
import type { OciSeccomp, OciSyscallArg, OciSyscallRule, SeccompAction } from './oci-spec.js';
import { SECCOMP_ACTIONS } from './oci-spec.js';

const PROFILE_KEYS = new Set(['defaultAction', 'defaultErrnoRet', 'architectures', 'syscalls', 'flags', 'listenerPath', 'listenerMetadata']);
const RULE_KEYS = new Set(['names', 'action', 'errnoRet', 'args', 'comment']);
const ARG_KEYS = new Set(['index', 'value', 'valueTwo', 'op']);
const ARG_OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and checks profile `text`; `where` names the file in messages. Throws ERR_SECCOMP_PROFILE_INVALID. */
export function parseSeccompProfile(text: string, where: string): OciSeccomp {
  const bad = (path: string, message: string): never => {
    throw invalidArgument('ERR_SECCOMP_PROFILE_INVALID', `seccomp profile ${where}: ${path === '' ? '' : `${path}: `}${message}`, {
      hint: 'a profile is OCI seccomp JSON: {"defaultAction": "SCMP_ACT_ERRNO", "architectures": [...], "syscalls": [{"names": [...], "action": "SCMP_ACT_ALLOW"}]}',
    });
  };
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    return bad('', `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(root)) return bad('', 'must be a JSON object');
  const unknownKeys = (object: Json, keys: ReadonlySet<string>, path: string): void => {
    for (const key of Object.keys(object)) if (!keys.has(key)) bad(path === '' ? key : `${path}.${key}`, 'unknown field');
  };
  const action = (value: unknown, path: string): SeccompAction =>
    typeof value === 'string' && (SECCOMP_ACTIONS as readonly string[]).includes(value) ? (value as SeccompAction) : bad(path, `must be one of ${SECCOMP_ACTIONS.join(', ')}`);
  const natural = (value: unknown, path: string): number => (Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : bad(path, 'must be a non-negative integer'));
  const strings = (value: unknown, path: string): string[] =>
    Array.isArray(value) && value.every((item) => typeof item === 'string' && item !== '') ? (value as string[]) : bad(path, 'must be a list of names');
  unknownKeys(root, PROFILE_KEYS, '');
  if (root.listenerPath !== undefined || root.listenerMetadata !== undefined) bad('listenerPath', 'seccomp notify listeners are not supported');
  const rules: OciSyscallRule[] = [];
  const syscalls = root.syscalls ?? [];
  if (!Array.isArray(syscalls)) return bad('syscalls', 'must be a list');
  syscalls.forEach((rule: unknown, index) => {
    const at = `syscalls[${index}]`;
    if (!isObject(rule)) return bad(at, 'must be an object');
    unknownKeys(rule, RULE_KEYS, at);
    const args: OciSyscallArg[] = [];
    if (rule.args !== undefined) {
      if (!Array.isArray(rule.args)) return bad(`${at}.args`, 'must be a list');
      rule.args.forEach((arg: unknown, argIndex) => {
        const argAt = `${at}.args[${argIndex}]`;
        if (!isObject(arg)) return bad(argAt, 'must be an object');
        unknownKeys(arg, ARG_KEYS, argAt);
        if (typeof arg.op !== 'string' || !ARG_OPS.includes(arg.op)) return bad(`${argAt}.op`, `must be one of ${ARG_OPS.join(', ')}`);
        args.push({
          index: natural(arg.index, `${argAt}.index`),
          value: natural(arg.value, `${argAt}.value`),
          ...(arg.valueTwo === undefined ? {} : { valueTwo: natural(arg.valueTwo, `${argAt}.valueTwo`) }),
          op: arg.op,
        });
        return undefined;
      });
    }
    rules.push({
      names: strings(rule.names, `${at}.names`),
      action: action(rule.action, `${at}.action`),
      ...(rule.errnoRet === undefined ? {} : { errnoRet: natural(rule.errnoRet, `${at}.errnoRet`) }),
      ...(args.length === 0 ? {} : { args }),
    });
    return undefined;
  });
  return {
    defaultAction: action(root.defaultAction, 'defaultAction'),
    ...(root.defaultErrnoRet === undefined ? {} : { defaultErrnoRet: natural(root.defaultErrnoRet, 'defaultErrnoRet') }),
    architectures: root.architectures === undefined ? [] : strings(root.architectures, 'architectures'),
    syscalls: rules,
  };
}
