// The one source of viaguard's and viaguardd's documentation: a Manual is rendered as the
// manual page (roff, man(7) macros; `npm run prepare` writes dist/man/*.8, which package.json's
// "man" installs) and as the plain text of --help. viaguard's subcommands come from the COMMANDS
// table, so a command's usage and help read the same in both.
import type { Command } from './commands.js';

export interface Manual {
  name: string;
  /** The NAME line's description. */
  summary: string;
  synopsis: string[];
  /** Paragraphs. */
  description: string[];
  options: { flags: string; text: string }[];
  commands?: ReadonlyMap<string, Command>;
  environment: { name: string; text: string }[];
  files: { path: string; text: string }[];
  exitStatus: string;
  seeAlso: string[];
}

function indent(text: string, by: string): string {
  return text.replace(/^(?=.)/gm, by);
}

/** --help: synopsis, options, environment; the description stays in the manual page. */
export function helpText(manual: Manual): string {
  const sections = [`Usage: ${manual.synopsis.join(`\n       `)}`, manual.summary];
  if (manual.options.length) sections.push(`Options:\n${manual.options.map((o) => `  ${o.flags}\n${indent(o.text, '      ')}`).join('\n')}`);
  if (manual.environment.length) sections.push(`Environment:\n${manual.environment.map((e) => `  ${e.name}\n${indent(e.text, '      ')}`).join('\n')}`);
  sections.push(`See ${manual.name}(8).`);
  return `${sections.join('\n\n')}\n`;
}

/** Text safe inside roff: backslashes escaped, a line never starting with a control character, ASCII only. */
function roffText(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^(?=[.'])/gm, '\\&')
    .replace(/[\u0080-\u{10FFFF}]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
}

/** A block kept as written (usage lines, examples). */
function roffLiteral(text: string): string {
  return `.nf\n${roffText(text)}\n.fi`;
}

export function manPage(manual: Manual, version: string): string {
  const out: string[] = [
    `.\\" Generated from src/cli/manual.ts by scripts/man.ts; edit there.`,
    `.TH ${manual.name.toUpperCase()} 8 "" "viaguard ${version}" "System Manager's Manual"`,
    // Options and key names must not be hyphenated or stretched.
    '.nh',
    '.ad l',
    '.SH NAME',
    `${manual.name} \\- ${roffText(manual.summary)}`,
    '.SH SYNOPSIS',
    roffLiteral(manual.synopsis.join('\n')),
    '.SH DESCRIPTION',
    manual.description.map(roffText).join('\n.PP\n'),
  ];
  if (manual.options.length) {
    out.push('.SH OPTIONS');
    for (const o of manual.options) out.push('.TP', `.B ${roffText(o.flags)}`, roffText(o.text));
  }
  if (manual.commands) {
    out.push('.SH COMMANDS');
    for (const command of manual.commands.values()) {
      out.push('.TP', `.B ${roffText(command.usage)}`, roffText(command.summary));
      if (command.help) out.push('.IP', roffLiteral(command.help));
    }
  }
  if (manual.environment.length) {
    out.push('.SH ENVIRONMENT');
    for (const e of manual.environment) out.push('.TP', `.B ${roffText(e.name)}`, roffText(e.text));
  }
  if (manual.files.length) {
    out.push('.SH FILES');
    for (const f of manual.files) out.push('.TP', `.I ${roffText(f.path)}`, roffText(f.text));
  }
  out.push('.SH EXIT STATUS', roffText(manual.exitStatus));
  out.push('.SH SEE ALSO', manual.seeAlso.map((ref) => roffText(ref)).join(',\n'));
  return `${out.join('\n')}\n`;
}
