/**
 * @module format/oci/whiteout — OCI layer whiteouts (image-spec layer.md): `.wh.NAME` deletes
 * NAME of the layers below; `.wh..wh..opq` in a directory hides everything the layers below
 * have in it. On disk they become what overlayfs reads in a lower layer: a whiteout is a
 * character device 0/0 at NAME, an opaque directory carries `trusted.overlay.opaque=y`.
 * Pure: classifies layer paths, no I/O.
 */

/** The whiteout prefix. */
export const WHITEOUT_PREFIX = '.wh.';
/** The opaque-directory marker's name. */
export const OPAQUE_MARKER = '.wh..wh..opq';
/** The xattr overlayfs reads to treat a lower directory as opaque. */
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

/** What a cleaned layer path (`a/b/.wh.c`) means. */
export type LayerPathKind =
  | { readonly kind: 'entry' }
  | { readonly kind: 'whiteout'; readonly target: string }
  | { readonly kind: 'opaque'; readonly dir: string };

/**
 * Classify a cleaned, relative layer path. `.wh.` names other than the opaque marker whose
 * target would be empty, `.` or `..` are refused by the caller (returned as whiteouts of
 * those names: the caller's path checks refuse them).
 */
export function classifyLayerPath(rel: string): LayerPathKind {
  const slash = rel.lastIndexOf('/');
  const dir = slash === -1 ? '' : rel.slice(0, slash);
  const base = slash === -1 ? rel : rel.slice(slash + 1);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir };
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const name = base.slice(WHITEOUT_PREFIX.length);
    return { kind: 'whiteout', target: dir === '' ? name : `${dir}/${name}` };
  }
  return { kind: 'entry' };
}

/** True when a whiteout's target name is one no layer can hold (empty, `.`, `..`, another marker). */
export function isBadWhiteoutTarget(target: string): boolean {
  const base = target.slice(target.lastIndexOf('/') + 1);
  return base === '' || base === '.' || base === '..' || base.startsWith(WHITEOUT_PREFIX);
}
