/**
 * The two moments of the running emulator that modules hook their own work to: ready (every route is registered,
 * just before the port listens: start listeners of one's own, such as private endpoints) and close (shutdown,
 * before the store closes: stop timers, workers and sockets, flush what is buffered). The composition root
 * implements it on the front door's HTTP server, whose close comes first on shutdown.
 */
export interface Lifecycle {
  onReady(step: () => Promise<void> | void): void;
  onClose(step: () => Promise<void> | void): void;
}
