/**
 * Debian's Chromium for the browser tests, driven by playwright-core (which
 * ships no browser). Finds it, or installs it with apt-get (root, Debian's
 * own package: no browser download), or fails saying how to get it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

export function findChromium(): string | undefined {
  const env = process.env.WEIR_CHROMIUM;
  if (env && existsSync(env)) return env;
  return CANDIDATES.find((p) => existsSync(p));
}

export function ensureChromium(): string {
  const found = findChromium();
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    try {
      execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 300_000 });
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'ignore', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    } catch (e) {
      throw new Error(`Chromium is not installed and \`apt-get install -y chromium\` failed (${(e as Error).message}). Fix: install Debian's chromium package, or set WEIR_CHROMIUM to a Chromium binary`);
    }
    const now = findChromium();
    if (now) return now;
  }
  throw new Error(
    `no Chromium found (looked for ${CANDIDATES.join(', ')}${isRoot ? ' after apt-get install chromium' : ''}). Fix: \`sudo apt-get install -y chromium\`, or set WEIR_CHROMIUM to a Chromium binary`,
  );
}

/** A headless Chromium with a fresh profile (--user-data-dir), removed again by close(). */
export async function launchChromium(viewport = { width: 1400, height: 1000 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(path.join(tmpdir(), 'weir-chromium-'));
  // playwright passes the profile as --user-data-dir itself (it refuses the flag in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
