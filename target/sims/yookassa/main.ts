/**
 * Runs the YooKassa simulator as its own process.
 * Environment: PORT, HOST (loopback only), YOOKASSA_SIM_SHOP_ID, YOOKASSA_SIM_SECRET_KEY,
 * YOOKASSA_SIM_NOTIFICATION_URL (loopback only), YOOKASSA_SIM_REDELIVERY_HORIZON_MS,
 * YOOKASSA_SIM_REDELIVERY_INITIAL_MS, SIM_CONTROL_TOKEN, LOG_LEVEL,
 * SIM_TLS_CERT_FILE and SIM_TLS_KEY_FILE (HTTPS on the same port).
 */
import { pino } from 'pino';
import { runSimulator } from '../shared/run-sim.ts';
import { readSimTls } from '../shared/tls-listener.ts';
import { buildYooKassaSim } from './sim.ts';

process.exitCode = await runSimulator('yookassa', process.env, (env) => {
  const level = env.string('LOG_LEVEL') ?? 'warn';
  const { app } = buildYooKassaSim({
    shopId: env.string('YOOKASSA_SIM_SHOP_ID'),
    secretKey: env.string('YOOKASSA_SIM_SECRET_KEY'),
    notificationUrl: env.string('YOOKASSA_SIM_NOTIFICATION_URL'),
    redelivery: {
      horizonMs: env.number('YOOKASSA_SIM_REDELIVERY_HORIZON_MS', 0, 86_400_000),
      initialDelayMs: env.number('YOOKASSA_SIM_REDELIVERY_INITIAL_MS', 0, 3_600_000),
    },
    controlToken: env.string('SIM_CONTROL_TOKEN'),
    tls: readSimTls(env),
    logger: level === 'silent' ? undefined : pino({ level, base: { sim: 'yookassa' } }),
  });
  return app;
});
