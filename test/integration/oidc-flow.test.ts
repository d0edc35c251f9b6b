import { startTestApp, type TestApp } from '../support/app.js';
import { runFullFlow } from '../support/full-flow.js';

describe('authorization code flow driven by openid-client (embedded SQLite store)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  test('discovery → PKCE login → consent → tokens → userinfo → refresh rotation → revocation → logout', async () => {
    await runFullFlow(app);
  });
});
