/**
 * globalSetup of the vitest project `postgres`: starts a throwaway PostgreSQL from npm's
 * binaries (tools/test-postgres.ts; as root it runs as `nobody`) and hands its URL to the tests
 * (inject('databaseUrl')); stops it and deletes its folder afterwards. A server that cannot
 * start fails the run: there is no skip, since npm ci installs everything it needs.
 * FACEGRAPH_TEST_DATABASE_URL=postgres://… uses a server of your own instead (tests create and
 * drop their own databases on it).
 */
import type { TestProject } from 'vitest/node';
import { startTestPostgres } from '../../tools/test-postgres.js';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const own = process.env.FACEGRAPH_TEST_DATABASE_URL?.trim();
  if (own) {
    project.provide('databaseUrl', own);
    return undefined;
  }
  const server = await startTestPostgres();
  process.env.FACEGRAPH_TEST_DATABASE_URL = server.url;
  project.provide('databaseUrl', server.url);
  return async () => {
    await server.stop();
    delete process.env.FACEGRAPH_TEST_DATABASE_URL;
  };
}
