/**
 * The simulators only ever send requests (webhooks, notifications) to this
 * machine. Every URL they are asked to POST to passes through here first.
 */
import net from 'node:net';

/** A URL the simulator refuses to send anything to. */
export class NonLoopbackUrlError extends Error {
  readonly url: string;

  constructor(url: string, reason: string) {
    super(`refusing to send to ${JSON.stringify(url)}: ${reason}; only loopback URLs are allowed (127.0.0.0/8, localhost, [::1])`);
    this.name = 'NonLoopbackUrlError';
    this.url = url;
  }
}

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
// IPv4-mapped IPv6 (::ffff:127.x.y.z), which the URL parser writes in hex.
loopback.addSubnet('::ffff:7f00:0', 104, 'ipv6');

/** Whether a URL hostname (as `new URL().hostname` gives it) names this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (host.toLowerCase() === 'localhost') return true;
  if (net.isIPv4(host)) return loopback.check(host, 'ipv4');
  if (net.isIPv6(host)) return loopback.check(host, 'ipv6');
  return false;
}

/** Parses `raw` and returns it when it is an http(s) URL on a loopback host; throws NonLoopbackUrlError otherwise. */
export function requireLoopbackUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new NonLoopbackUrlError(raw, 'not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NonLoopbackUrlError(raw, `scheme ${url.protocol} is not http or https`);
  }
  if (!isLoopbackHost(url.hostname)) {
    throw new NonLoopbackUrlError(raw, `host ${url.hostname} is not a loopback address`);
  }
  return url;
}
