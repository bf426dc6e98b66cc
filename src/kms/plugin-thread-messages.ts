/**
 * What the emulator's main thread and the KMS plugins' thread say to each other (plugin-host.ts,
 * plugin-thread-worker.ts): start a plugin from its spec, stop one, stop all; each request is answered once.
 */
import type { PluginSpec } from './plugin-spec.js';

export type PluginThreadRequest =
  | { id: number; op: 'start'; plugin: number; spec: PluginSpec }
  | { id: number; op: 'stop'; plugin: number }
  | { id: number; op: 'stopAll' };

export type PluginThreadAnswer = { id: number; ok: true } | { id: number; ok: false; error: string };
