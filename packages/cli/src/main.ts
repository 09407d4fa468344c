import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  createMailer,
  installShutdownHandlers,
  loadPlatformConfig,
  type PlatformConfig,
  Platform,
  runServices,
  type ServiceCommand,
  type ServiceDefinition,
  resolvePorts,
} from '@trustplane/kernel';
import { Command, CommanderError } from 'commander';
import { loadServices, serviceNames, UsageError } from './services.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Prints a command's result: exactly one JSON object with `--json`, readable text otherwise. */
function output(
  result: Record<string, unknown>,
  json: boolean,
  format?: (result: Record<string, unknown>) => string,
) {
  process.stdout.write(
    json ? `${JSON.stringify(result)}\n` : `${format ? format(result) : JSON.stringify(result, null, 2)}\n`,
  );
}

/**
 * The shutdown handlers' log: the platform's logger once the services are up; before that (a
 * signal during start-up) a line of the same JSON shape written directly.
 */
function startupAwareLog(starting: Promise<{ platform: Platform }>): (message: string) => void {
  let logger: Platform['logger'] | undefined;
  starting.then(
    (running) => {
      logger = running.platform.logger;
    },
    () => undefined,
  );
  return (message) => {
    if (logger) logger.info(message);
    else
      process.stdout.write(
        `${JSON.stringify({ level: 30, time: new Date().toISOString(), pid: process.pid, msg: message })}\n`,
      );
  };
}

/** Opens the platform for a one-shot command: joins a running server or starts one for the duration. */
async function withPlatform<T>(
  config: PlatformConfig,
  services: ServiceDefinition[],
  work: (platform: Platform) => Promise<T>,
): Promise<T> {
  const platform = await Platform.open({ config, role: 'cli' });
  try {
    if (services.length > 0) await platform.migrate(services);
    return await work(platform);
  } finally {
    await platform.close();
  }
}

function addServiceCommand(
  parent: Command,
  service: ServiceDefinition,
  command: ServiceCommand,
  config: () => PlatformConfig,
) {
  let target = parent;
  for (const segment of command.path.slice(0, -1)) {
    target = target.commands.find((existing) => existing.name() === segment) ?? target.command(segment);
  }
  const leaf = target
    .command(command.path.at(-1)!)
    .description(command.description)
    .option('--json', 'print one JSON object');
  for (const option of command.options ?? []) {
    if (option.required) leaf.requiredOption(option.flags, option.description, option.defaultValue);
    else leaf.option(option.flags, option.description, option.defaultValue);
  }
  leaf.action(async (options: Record<string, string | boolean | undefined>) => {
    const platformConfig = config();
    const result = await withPlatform(platformConfig, [service], async (platform) => {
      const context = platform.createContext(
        service,
        resolvePorts(service.name, service.ports, platformConfig.env).http!,
      );
      service.defineJobs?.(context);
      return command.run(context, options);
    });
    output(result, options.json === true, command.format);
  });
}

const PLATFORM_COMMANDS = ['start', 'worker', 'migrate', 'mail'];

/**
 * The services whose own commands (`biometry key create`…) the program must know for `args`: the
 * named service's, none for the platform's commands (`start`, `worker` and `migrate` load the
 * services they run themselves), every service's otherwise (help, an unknown command).
 */
async function commandServices(args: readonly string[]): Promise<ServiceDefinition[]> {
  const [first] = args;
  if (first !== undefined && serviceNames.includes(first)) return loadServices([first]);
  if (first !== undefined && PLATFORM_COMMANDS.includes(first)) return [];
  return loadServices();
}

/** The program, with the commands of `services` (the platform's own commands load what they run). */
export function buildProgram(services: readonly ServiceDefinition[]): Command {
  const config = () => loadPlatformConfig(process.env, repoRoot);
  const program = new Command('trustplane')
    .description('Trustplane operator command line')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('start')
    .description('start services (all when none is named) with their workers')
    .argument('[services...]', 'service names')
    .option('--no-workers', 'serve HTTP only; run workers with `trustplane worker`')
    .action(async (names: string[], options: { workers: boolean }) => {
      const platformConfig = config();
      const starting = runServices(await loadServices(names), {
        config: platformConfig,
        listen: true,
        workers: options.workers,
      });
      installShutdownHandlers(starting, platformConfig.shutdownTimeoutMs, startupAwareLog(starting));
      const running = await starting;
      for (const service of running.services) {
        const listening = Object.entries(service.ports).filter(
          ([listener]) => listener === 'http' || service.listeners,
        );
        for (const [listener, port] of listening) {
          running.platform.logger.info(
            {
              service: service.definition.name,
              listener,
              url: `${listener === 'http' ? 'http' : listener}://${platformConfig.publicHost}:${port}`,
            },
            `${service.definition.name} ${listener} listening`,
          );
        }
      }
      running.platform.logger.info({ services: running.services.length }, 'trustplane ready');
    });

  program
    .command('worker')
    .description("run a service's background workers only")
    .argument('<services...>', 'service names')
    .action(async (names: string[]) => {
      const platformConfig = config();
      const starting = runServices(await loadServices(names), {
        config: platformConfig,
        listen: false,
        workers: true,
      });
      installShutdownHandlers(starting, platformConfig.shutdownTimeoutMs, startupAwareLog(starting));
      const running = await starting;
      running.platform.logger.info({ services: names }, 'workers running');
    });

  program
    .command('migrate')
    .description("apply every service's migrations")
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const platformConfig = config();
      const services = await loadServices();
      const results = await withPlatform(platformConfig, [], async (platform) => platform.migrate(services));
      output({ migrations: results }, options.json === true, (result) =>
        (result.migrations as { schema: string; applied: string[] }[])
          .map(
            (entry) => `${entry.schema}: ${entry.applied.length ? entry.applied.join(', ') : 'up to date'}`,
          )
          .join('\n'),
      );
    });

  program
    .command('mail')
    .description('the embedded mail sink')
    .command('list')
    .description('list mails written to the embedded sink (oldest first)')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const platformConfig = config();
      const mailer = createMailer({ dataDir: platformConfig.dataDir, from: platformConfig.mailFrom });
      const messages = (await mailer.list()).map(({ to, subject, text, html, createdAt }) => ({
        to,
        subject,
        text,
        html,
        createdAt,
      }));
      await mailer.close();
      output(
        { messages },
        options.json === true,
        (result) =>
          (result.messages as typeof messages)
            .map((message) => `${message.createdAt}  ${message.to}  ${message.subject}`)
            .join('\n') || 'no messages',
      );
    });

  for (const service of services) {
    if (!service.commands?.length) continue;
    const group = program.command(service.name).description(`${service.title} commands`);
    for (const command of service.commands) addServiceCommand(group, service, command, config);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    const program = buildProgram(await commandServices(argv.slice(2)));
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    if (
      error instanceof ConfigError ||
      error instanceof UsageError ||
      (error instanceof Error && error.name === 'UsageError')
    ) {
      process.stderr.write(`trustplane: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`trustplane: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  }
}
