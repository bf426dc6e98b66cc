/**
 * KMS plugin addresses as kube-apiserver's EncryptionConfiguration and Azure's plugin (`--listen-addr`) write
 * them: `unix:///absolute/path` or the abstract socket `unix:///@name`. Both ends of the KMS gRPC API (the
 * apiserver-side client here, the plugin in src/kms) parse them the same way.
 */
export class ListenAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenAddressError';
  }
}

/** A unix socket address: `unix:///path/to.sock` → `/path/to.sock`; `unix:///@name` → abstract `\0name`. */
export function parseListenAddress(addr: string): { socketPath: string; grpcTarget: string } {
  const m = /^unix:\/\/(\/.+)$/.exec(addr);
  if (!m) throw new ListenAddressError(`--listen-addr must be a unix socket address such as unix:///opt/azurekms.socket, not '${addr}'`);
  const path = m[1]!;
  if (path.startsWith('/@')) {
    const name = path.slice(2);
    if (!name) throw new ListenAddressError(`the abstract socket name in '${addr}' is empty`);
    return { socketPath: `\0${name}`, grpcTarget: `unix-abstract:${name}` };
  }
  return { socketPath: path, grpcTarget: `unix://${path}` };
}
