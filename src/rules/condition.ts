import { RuleError } from './errors.js';

/*
 * The condition language of Sigma detections, parsed by hand:
 *   expr   := or
 *   or     := and ('or' and)*
 *   and    := not ('and' not)*
 *   not    := 'not' not | atom
 *   atom   := '(' expr ')' | quant 'of' target | identifier
 *   quant  := 'all' | 'any' | integer
 *   target := 'them' | identifier-with-wildcards
 * Keywords are case-insensitive; precedence not > and > or.
 */

export type ConditionNode =
  | { readonly op: 'and'; readonly args: readonly ConditionNode[] }
  | { readonly op: 'or'; readonly args: readonly ConditionNode[] }
  | { readonly op: 'not'; readonly arg: ConditionNode }
  | { readonly op: 'ref'; readonly name: string }
  | {
      readonly op: 'of';
      /** 'all' or a count (`1 of`, `any of` is 1). */
      readonly quant: 'all' | number;
      /** 'them' or a selection name pattern with `*`. */
      readonly target: string;
    };

interface Token {
  text: string;
  pos: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'all', 'any']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:([()])|([A-Za-z0-9_*.\-@$]+)|(\S))/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text))) {
    const pos = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? '').length;
    if (m[3] !== undefined) {
      const rest = text.slice(pos).trimEnd();
      if (m[3] === '|') {
        throw new RuleError(
          'condition',
          `aggregation '${rest}' is not supported: Sigma v2 uses correlation rules`,
        );
      }
      throw new RuleError('condition', `unexpected '${m[3]}' at position ${pos + 1}`);
    }
    if (m[1] !== undefined || m[2] !== undefined) tokens.push({ text: m[1] ?? m[2]!, pos });
  }
  return tokens;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  parse(): ConditionNode {
    if (this.tokens.length === 0) throw new RuleError('condition', 'the condition is empty');
    const node = this.or();
    const t = this.tokens[this.i];
    if (t) throw this.error(`unexpected '${t.text}' at position ${t.pos + 1}`);
    return node;
  }

  private error(why: string): RuleError {
    return new RuleError('condition', `${why} in '${this.text}'`);
  }

  private peek(): string | undefined {
    return this.tokens[this.i]?.text.toLowerCase();
  }

  private or(): ConditionNode {
    const args = [this.and()];
    while (this.peek() === 'or') {
      this.i++;
      args.push(this.and());
    }
    return args.length === 1 ? args[0]! : { op: 'or', args };
  }

  private and(): ConditionNode {
    const args = [this.not()];
    while (this.peek() === 'and') {
      this.i++;
      args.push(this.not());
    }
    return args.length === 1 ? args[0]! : { op: 'and', args };
  }

  private not(): ConditionNode {
    if (this.peek() === 'not') {
      this.i++;
      return { op: 'not', arg: this.not() };
    }
    return this.atom();
  }

  private atom(): ConditionNode {
    const t = this.tokens[this.i];
    if (!t) throw this.error('the condition ends too early');
    const word = t.text.toLowerCase();
    if (t.text === '(') {
      this.i++;
      const node = this.or();
      if (this.tokens[this.i]?.text !== ')') {
        throw this.error(`missing ')' for '(' at position ${t.pos + 1}`);
      }
      this.i++;
      return node;
    }
    if (t.text === ')') throw this.error(`unexpected ')' at position ${t.pos + 1}`);
    const next = this.tokens[this.i + 1]?.text.toLowerCase();
    if ((word === 'all' || word === 'any' || /^\d+$/.test(word)) && next === 'of') {
      this.i += 2;
      const target = this.tokens[this.i];
      if (!target || target.text === '(' || target.text === ')') {
        throw this.error(`'${t.text} of' needs a selection name pattern or 'them'`);
      }
      this.i++;
      const quant = word === 'all' ? 'all' : word === 'any' ? 1 : Number(word);
      if (quant === 0) throw this.error(`'0 of' never matches`);
      const tw = target.text.toLowerCase();
      if (KEYWORDS.has(tw) && tw !== 'them') {
        throw this.error(`'${target.text}' is a keyword, not a selection name`);
      }
      return { op: 'of', quant, target: tw === 'them' ? 'them' : target.text };
    }
    if (KEYWORDS.has(word)) throw this.error(`unexpected '${t.text}' at position ${t.pos + 1}`);
    if (t.text.includes('*')) {
      throw this.error(`'${t.text}': a wildcard name needs '1 of' or 'all of'`);
    }
    this.i++;
    return { op: 'ref', name: t.text };
  }
}

/** Parses a condition; throws RuleError (kind `condition`) with the reason and position. */
export function parseCondition(text: string): ConditionNode {
  return new Parser(tokenize(text), text).parse();
}

/** Selection names an `of` target covers: `them` is all except names starting with `_`. */
export function resolveOfTarget(target: string, names: readonly string[]): string[] {
  if (target === 'them') return names.filter((n) => !n.startsWith('_'));
  const re = new RegExp(
    '^' + target.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$',
  );
  return names.filter((n) => re.test(n));
}

/** Every selection name a condition refers to directly (not through `of`). */
export function referencedNames(node: ConditionNode, out = new Set<string>()): Set<string> {
  switch (node.op) {
    case 'and':
    case 'or':
      for (const a of node.args) referencedNames(a, out);
      break;
    case 'not':
      referencedNames(node.arg, out);
      break;
    case 'ref':
      out.add(node.name);
      break;
    case 'of':
      break;
  }
  return out;
}
