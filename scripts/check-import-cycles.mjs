#!/usr/bin/env node
// Fails (exit 1) when the modules under src/ import each other in a circle. Reads the
// TypeScript sources (static imports, re-exports and `import('...')` with a literal path:
// a lazy import still makes both modules depend on each other's shape) and reports every
// strongly connected component of the graph with one cycle spelled out. Run by `npm run lint`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? 'src');

function collect(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return collect(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

// `import type` and `export type` vanish at compile time: they cannot form a run-time circle.
const SPECIFIERS = [
  /^\s*import\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm,
  /^\s*export\s+(?!type\s)[^'"]*?\sfrom\s+['"](\.[^'"]+)['"]/gm,
  /\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g,
];

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function importsOf(file) {
  const text = stripComments(readFileSync(file, 'utf8'));
  const targets = new Set();
  for (const pattern of SPECIFIERS) {
    for (const match of text.matchAll(pattern)) {
      const spec = match[1];
      targets.add(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
    }
  }
  return [...targets];
}

const files = collect(root);
const known = new Set(files);
const graph = new Map(files.map((file) => [file, importsOf(file).filter((t) => known.has(t))]));

// Tarjan's strongly connected components (iterative enough for a few hundred modules).
let index = 0;
const indices = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
function strongConnect(v) {
  indices.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v)) {
    if (!indices.has(w)) {
      strongConnect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) {
      low.set(v, Math.min(low.get(v), indices.get(w)));
    }
  }
  if (low.get(v) === indices.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v).includes(v)) components.push(component);
  }
}
for (const file of files) if (!indices.has(file)) strongConnect(file);

/** One concrete circle inside a component, by breadth-first search back to its start. */
function oneCycle(component) {
  const members = new Set(component);
  const start = [...component].sort()[0];
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v)) {
      if (!members.has(w)) continue;
      if (w === start) {
        const cycle = [start];
        for (let at = v; at !== start; at = previous.get(at)) cycle.splice(1, 0, at);
        return [...cycle, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

const rel = (file) => path.relative(root, file);
if (components.length === 0) {
  console.log(`check-import-cycles: ${files.length} modules under ${path.relative(process.cwd(), root) || '.'}, no import cycles`);
  process.exit(0);
}
for (const component of components) {
  console.error(`check-import-cycles: ${component.length} modules import each other in a circle: ${oneCycle(component).map(rel).join(' → ')}`);
}
console.error('check-import-cycles: move what both sides need into a module both import (docs/ARCHITECTURE.md §2)');
process.exit(1);
