import { loadEnvFile } from '../config/env-file.js';
import { runCli } from './run.js';

// The same configuration as the server: .env in the working directory, the environment winning.
loadEnvFile();
const code = await runCli(process.argv, process.env);
if (code !== 0) process.exit(code);
