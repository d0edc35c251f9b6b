import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { createMongoIndexes, createMongoStores } from '../store/mongo/index.js';

export function registerDbCommands(program: Command, env: NodeJS.ProcessEnv): void {
  const db = program.command('db').description('Database administration');

  db.command('indexes')
    .description('Create the MongoDB indexes (unique emails, client ids, consents, secrets); run once per database and after upgrades')
    .action(async () => {
      const config = loadConfig(env);
      if (!config.mongodbUri) {
        console.log('MongoDB is not configured (MONGODB_URI is unset): the SQLite store creates its own schema. Nothing to do.');
        return;
      }
      // Indexes are created here, not at runtime: production never builds indexes on start.
      const mongo = createMongoStores(config.mongodbUri);
      try {
        const models = await createMongoIndexes(mongo.connection);
        console.log(`Indexes ensured for: ${models.join(', ')}`);
      } finally {
        await mongo.close();
      }
    });
}
