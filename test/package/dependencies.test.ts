/**
 * Every declared dependency earns its place: a runtime dependency is imported by the
 * code, a development one is imported by a test, a config or a script, runs as a
 * command in package.json's scripts, or types a package that is imported. A dependency
 * nothing uses is dead weight on every `npm ci` (pg-boss was one).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PACKAGE_ROOT } from '../../cli/paths.ts';

const SOURCE_FOLDERS = ['cli', 'target', 'reports', 'bench', 'test', 'docker'];
const SOURCE_FILE = /\.(ts|tsx|js|mjs|cjs)$/;

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'node_modules') return [];
    return statSync(full).isDirectory() ? sourceFiles(full) : SOURCE_FILE.test(name) ? [full] : [];
  });
}

/**
 * Package names imported anywhere (static, dynamic or require), reduced to the package
 * itself, plus packages run from node_modules by path ('node_modules', 'NAME', 'bin', …).
 */
function importedPackages(): Set<string> {
  const roots = SOURCE_FOLDERS.map((f) => path.join(PACKAGE_ROOT, f));
  const rootConfigs = readdirSync(PACKAGE_ROOT).filter((n) => SOURCE_FILE.test(n)).map((n) => path.join(PACKAGE_ROOT, n));
  const found = new Set<string>();
  const pattern = /(?:from\s+|import\(\s*|require\(\s*|import\s+)['"]([^'".][^'"]*)['"]/g;
  for (const file of [...roots.flatMap(sourceFiles), ...rootConfigs]) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(pattern)) {
      const spec = match[1] ?? '';
      const parts = spec.split('/');
      found.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec));
    }
    for (const match of text.matchAll(/'node_modules',\s*'([^']+)'/g)) found.add(match[1] ?? '');
  }
  return found;
}

const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
};
const imported = importedPackages();

test('every runtime dependency is imported by the code', () => {
  const unused = Object.keys(pkg.dependencies ?? {}).filter((name) => !imported.has(name));
  assert.deepEqual(unused, [], `declared in "dependencies" but imported nowhere: ${unused.join(', ')}`);
});

test('every development dependency is imported, run by a script, or types an imported package', () => {
  const scripts = Object.values(pkg.scripts ?? {}).join('\n');
  const binariesOf = (name: string): string[] => {
    try {
      const manifest = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> };
      if (typeof manifest.bin === 'string') return [name.split('/').pop() ?? name];
      return Object.keys(manifest.bin ?? {});
    } catch {
      return [];
    }
  };
  const typedPackage = (name: string): string => {
    const bare = name.slice('@types/'.length);
    return bare.includes('__') ? `@${bare.replace('__', '/')}` : bare;
  };
  const unused = Object.keys(pkg.devDependencies ?? {}).filter((name) => {
    if (imported.has(name)) return false;
    if (name.startsWith('@types/')) return !(imported.has(typedPackage(name)) || typedPackage(name) === 'node');
    return !binariesOf(name).some((bin) => new RegExp(`(^|[\\s;&|(])(npx\\s+)?${bin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`, 'm').test(scripts));
  });
  assert.deepEqual(unused, [], `declared in "devDependencies" but used nowhere: ${unused.join(', ')}`);
});
