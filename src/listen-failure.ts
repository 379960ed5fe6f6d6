/** The setting that chooses a port, named in the sentence a person reads when the port cannot be had. */
export type PortSetting = 'PORT' | 'WORKER_METRICS_PORT';

/**
 * Why a server could not listen, as one sentence naming the port and the
 * setting that changes it; undefined for a failure that is not about the port
 * or the address (that one keeps its stack for whoever must debug it).
 */
export function listenFailure(err: unknown, host: string, port: number, setting: PortSetting): string | undefined {
  const code = err && typeof err === 'object' && 'code' in err ? err.code : undefined;
  switch (code) {
    case 'EADDRINUSE':
      return `Port ${port} on ${host} is already taken by another program. Stop that program, or choose another port with ${setting} (in .env or the environment, e.g. ${setting}=${port + 1}).`;
    case 'EACCES':
      return `Port ${port} on ${host} needs privileges this process does not have. Choose a port above 1023 with ${setting} (in .env or the environment).`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine, so port ${port} cannot be opened on it. Set HOST to one of its addresses (127.0.0.1 for this machine only).`;
    default:
      return undefined;
  }
}
