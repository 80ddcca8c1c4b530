/**
 * Runs the Telegram Bot API simulator as its own process.
 * Environment: PORT, HOST (loopback only), TELEGRAM_SIM_TOKEN, TELEGRAM_SIM_BOT_USERNAME,
 * TELEGRAM_SIM_FLOOD_SCALE, TELEGRAM_SIM_LONG_POLL_MAX_S, SIM_CONTROL_TOKEN, LOG_LEVEL,
 * SIM_TLS_CERT_FILE and SIM_TLS_KEY_FILE (HTTPS on the same port).
 */
import { pino } from 'pino';
import { runSimulator } from '../shared/run-sim.ts';
import { readSimTls } from '../shared/tls-listener.ts';
import { buildTelegramSim } from './sim.ts';

process.exitCode = await runSimulator('telegram', process.env, (env) => {
  const level = env.string('LOG_LEVEL') ?? 'warn';
  const scale = env.number('TELEGRAM_SIM_FLOOD_SCALE', 0.001, 1_000_000, false);
  const { app } = buildTelegramSim({
    token: env.string('TELEGRAM_SIM_TOKEN'),
    botUsername: env.string('TELEGRAM_SIM_BOT_USERNAME'),
    maxLongPollSeconds: env.number('TELEGRAM_SIM_LONG_POLL_MAX_S', 1, 600),
    flood: scale !== undefined ? { scale } : undefined,
    controlToken: env.string('SIM_CONTROL_TOKEN'),
    tls: readSimTls(env),
    logger: level === 'silent' ? undefined : pino({ level, base: { sim: 'telegram' } }),
  });
  return app;
});
