import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/** Where the CLI reads secrets it must not take on the command line (shell history, `ps`). */
export interface SecretInput {
  /** Everything on standard input up to its end, without the final line break. */
  readStdin(): Promise<string>;
  /** Asks on the terminal without echoing; undefined when standard input is not a terminal. */
  prompt(question: string): Promise<string | undefined>;
}

export function processSecretInput(): SecretInput {
  return {
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
      return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    },
    async prompt(question) {
      if (!process.stdin.isTTY) return undefined;
      process.stderr.write(question);
      // Output goes to a sink so the typed characters are not echoed.
      const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
      const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
      try {
        return await new Promise<string>((resolve) => rl.question('', resolve));
      } finally {
        rl.close();
        process.stderr.write('\n');
      }
    },
  };
}

/**
 * The password for a new account: from --password-stdin, else typed twice at a prompt,
 * else (standard input is a pipe) read from standard input.
 */
export async function readNewPassword(input: SecretInput, fromStdin: boolean): Promise<string> {
  if (fromStdin) return input.readStdin();
  const first = await input.prompt('Password: ');
  if (first === undefined) return input.readStdin();
  const again = await input.prompt('Repeat the password: ');
  if (again !== first) throw new Error('The two passwords differ.');
  return first;
}
