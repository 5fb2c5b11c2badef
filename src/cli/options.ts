/** Shared option parsing for hearc commands (node:util parseArgs with clear errors). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed option values: repeatable options (`multiple: true`) give lists. */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export function parseCommandArgs<T extends Options>(
  args: readonly string[],
  options: T,
  allowPositionals = true,
): { values: OptionValues; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals, strict: true });
    return {
      values: parsed.values as OptionValues,
      positionals: parsed.positionals,
    };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function integerOption(
  values: OptionValues,
  name: string,
  fallback: number,
  min = 0,
): number {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new UsageError(`--${name} must be an integer >= ${min} (got '${raw}')`);
  }
  return value;
}

/** Every value of a repeatable option, in the order given. */
export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}
