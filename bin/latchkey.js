#!/usr/bin/env node
// The `latchkey` command: runs the compiled CLI (npm run build, or npm start, compiles it).
import('../dist/cli/main.js');
