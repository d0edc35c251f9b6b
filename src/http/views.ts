import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Handlebars from 'handlebars';

export interface PageData {
  title: string;
  [key: string]: unknown;
}

export interface Views {
  /** Renders a page inside the layout. Values are HTML-escaped unless a template uses {{{ }}}. */
  render(page: string, data: PageData): string;
}

/** Compiles every template under `dir` once, at start-up. */
export function createViews(dir: string): Views {
  const hbs = Handlebars.create();
  const compileDir = (sub: string) =>
    new Map(
      readdirSync(join(dir, sub))
        .filter((file) => file.endsWith('.hbs'))
        .map((file) => [basename(file, '.hbs'), readFileSync(join(dir, sub, file), 'utf8')] as const),
    );
  for (const [name, source] of compileDir('partials')) hbs.registerPartial(name, source);
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  // The last argument Handlebars passes is its options object.
  hbs.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''));
  const layout = hbs.compile(readFileSync(join(dir, 'layout.hbs'), 'utf8'), { strict: false });
  // The account console's pages live in views/account and are named "account/<name>".
  const account = [...compileDir('account')].map(([name, source]) => [`account/${name}`, source] as const);
  const pages = new Map([...compileDir('pages'), ...account].map(([name, source]) => [name, hbs.compile(source)]));

  return {
    render(page, data) {
      const template = pages.get(page);
      if (!template) throw new Error(`No view named ${page}`);
      return layout({ ...data, body: template(data) });
    },
  };
}
