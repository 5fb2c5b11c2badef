/** --config and the flags that override the service description, the same for every command. */
import {
  ConfigError,
  type ConfigOverrides,
  loadServiceDescription,
  type ServiceDescription,
} from '../service/index.js';
import { UsageError } from './command.js';
import { listOption, type OptionValues, stringOption } from './options.js';

export const serviceOptionSpec = {
  config: { type: 'string' },
} as const;

export const serviceOptionsUsage = `  --config FILE         the service description (TOML; default $HEARC_CONFIG); HEARC_<KEY>
                        environment variables override it, flags override both
`;

/** The service description from --config/$HEARC_CONFIG, the environment and these flags. */
export function serviceDescriptionFrom(values: OptionValues): ServiceDescription {
  const authority = stringOption(values, 'authority');
  const publicUrl = stringOption(values, 'base-url');
  const cacheDir = stringOption(values, 'cache-dir');
  const trustedProxies = listOption(values, 'trust-proxy');
  const processes = stringOption(values, 'processes');
  const overrides: ConfigOverrides = {
    ...(authority !== undefined ? { authority } : {}),
    ...(publicUrl !== undefined ? { publicUrl } : {}),
    ...(cacheDir !== undefined ? { cacheDir } : {}),
    ...(trustedProxies.length > 0 ? { trustedProxies } : {}),
    ...(processes !== undefined ? { processes } : {}),
  };
  const file = stringOption(values, 'config');
  try {
    return loadServiceDescription({ ...(file !== undefined ? { file } : {}), overrides });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}
