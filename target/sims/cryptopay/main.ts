/**
 * Runs the Crypto Pay simulator as its own process.
 * Environment: PORT, HOST (loopback only), CRYPTOPAY_SIM_TOKEN, CRYPTOPAY_SIM_NETWORK
 * (mainnet|testnet), CRYPTOPAY_SIM_WEBHOOK_URL (loopback only), CRYPTOPAY_SIM_REDELIVERY_HORIZON_MS,
 * CRYPTOPAY_SIM_REDELIVERY_INITIAL_MS, SIM_CONTROL_TOKEN, LOG_LEVEL,
 * SIM_TLS_CERT_FILE and SIM_TLS_KEY_FILE (HTTPS on the same port).
 */
import { pino } from 'pino';
import { runSimulator } from '../shared/run-sim.ts';
import { readSimTls } from '../shared/tls-listener.ts';
import { buildCryptoPaySim } from './sim.ts';

process.exitCode = await runSimulator('cryptopay', process.env, (env) => {
  const level = env.string('LOG_LEVEL') ?? 'warn';
  const network = env.string('CRYPTOPAY_SIM_NETWORK');
  if (network !== undefined && network !== 'mainnet' && network !== 'testnet') {
    env.problems.push(`CRYPTOPAY_SIM_NETWORK must be mainnet or testnet, got "${network}"`);
  }
  const { app } = buildCryptoPaySim({
    token: env.string('CRYPTOPAY_SIM_TOKEN'),
    network: network === 'testnet' ? 'testnet' : 'mainnet',
    webhookUrl: env.string('CRYPTOPAY_SIM_WEBHOOK_URL'),
    redelivery: {
      horizonMs: env.number('CRYPTOPAY_SIM_REDELIVERY_HORIZON_MS', 0, 86_400_000 * 3),
      initialDelayMs: env.number('CRYPTOPAY_SIM_REDELIVERY_INITIAL_MS', 0, 3_600_000),
    },
    controlToken: env.string('SIM_CONTROL_TOKEN'),
    tls: readSimTls(env),
    logger: level === 'silent' ? undefined : pino({ level, base: { sim: 'cryptopay' } }),
  });
  return app;
});
