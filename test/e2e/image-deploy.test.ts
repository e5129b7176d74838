import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/process.ts';

// The production image is `pnpm deploy --prod` of the CLI package (see Dockerfile). No Docker
// engine runs where CI does, so this runs the same build and deploy into a temporary folder and
// checks what the runtime stage would copy: built code and production dependencies only.

const deployDir = mkdtempSync(join(tmpdir(), 'callpipe-deploy-'));
const TEST_TOOLING = [
  'vitest',
  'testcontainers',
  'autocannon',
  '@callpipe+testkit',
  'playwright-core',
  'typescript',
  'fast-check',
  'eslint',
];

const execFileAsync = promisify(execFile);

/** Asynchronous, so the vitest worker keeps answering while the build runs. */
async function run(command: string, args: string[], cwd: string): Promise<{ stdout: string }> {
  try {
    return await execFileAsync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`, { cause: error });
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

beforeAll(async () => {
  // The same two steps as the Dockerfile's build stage, against the already installed workspace.
  await run('pnpm', ['--filter', '@callpipe/cli...', 'build'], REPO_ROOT);
  await run(
    'pnpm',
    ['--filter', '@callpipe/cli', 'deploy', '--prod', '--offline', '--config.inject-workspace-packages=true', deployDir],
    REPO_ROOT,
  );
}, 300_000);
afterAll(() => rmSync(deployDir, { recursive: true, force: true }));

describe('the deploy folder the image is built from', () => {
  it('holds no test tooling and no dev dependency', () => {
    const installed = readdirSync(join(deployDir, 'node_modules/.pnpm'));
    expect(installed.length).toBeGreaterThan(50);
    for (const name of TEST_TOOLING)
      expect(
        installed.filter((entry) => entry.startsWith(`${name}@`)),
        name,
      ).toEqual([]);
    expect(installed.some((entry) => entry.startsWith('bullmq@'))).toBe(true);
  });

  it('holds the built workspace packages, without their sources, tests or source maps', () => {
    const ours = readdirSync(join(deployDir, 'node_modules/.pnpm')).filter((entry) => entry.startsWith('@callpipe+'));
    expect(ours.map((entry) => entry.split('@file')[0])).toEqual(
      expect.arrayContaining(['@callpipe+db', '@callpipe+events', '@callpipe+ingest', '@callpipe+worker', '@callpipe+runtime']),
    );
    const files = filesUnder(join(deployDir, 'node_modules/.pnpm')).filter((file) => file.includes('/@callpipe/'));
    const shipped = [...files, ...filesUnder(deployDir).filter((file) => !file.startsWith('node_modules/'))];
    expect(shipped.filter((file) => /\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
    expect(shipped.filter((file) => /\.test\.|\.map$|(^|\/)test\//.test(file))).toEqual([]);
    expect(shipped).toContain('dist/main.js');
  });

  it('runs the CLI from that folder alone, as the image ENTRYPOINT does', async () => {
    const version = await run('node', ['dist/main.js', '--version'], deployDir);
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'services/callpipe/package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(manifest.version);
    // `ingest --help` loads the command tree; a missing production dependency would fail here.
    expect((await run('node', ['dist/main.js', 'ingest', '--help'], deployDir)).stdout).toContain('Usage: callpipe ingest');
    // Importing every service module proves the built code resolves its dependencies without the
    // @callpipe/source condition (the packages' `default` export, dist/).
    const probe = await run(
      'node',
      [
        '--input-type=module',
        '-e',
        "await import('@callpipe/ingest'); await import('@callpipe/worker'); await import('@callpipe/db'); console.log('ok')",
      ],
      deployDir,
    );
    expect(probe.stdout.trim()).toBe('ok');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  it('builds with a cached pnpm store, deploys the CLI package for production and runs it as a non-root user', () => {
    expect(dockerfile).toMatch(/RUN --mount=type=cache,id=pnpm,target=\/pnpm\/store pnpm install --frozen-lockfile/);
    expect(dockerfile).toMatch(/pnpm --filter @callpipe\/cli deploy --prod .*--config\.inject-workspace-packages=true \/deploy/);
    expect(dockerfile).toContain('COPY --from=build --chown=node:node /deploy /app');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/main.js"]');
  });
});
