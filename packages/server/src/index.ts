export { CarillonServer } from './server.js';
export type { ServerHealth, ServerState, ServerStats } from './server.js';
export type { DatabaseStatus } from './database/database-health.js';
export type { ServerOptions } from './server-options.js';
export { ServerEventBus } from './events.js';
export type { ServerEvents } from './events.js';
export { ServerMetrics } from './observe/server-metrics.js';
export type { MetricsSource } from './observe/server-metrics.js';
export { Readiness } from './observe/readiness.js';
export type { ReadinessCheck, ReadinessReport, ReadinessSource } from './observe/readiness.js';
export { ObserveListener } from './observe/observe-listener.js';
export type { ObserveListenerOptions } from './observe/observe-listener.js';
export { observeServer } from './observe/observe-server.js';
export type { ServerObservability } from './observe/observe-server.js';
export { AlertDeliverer } from './observe/alerts/alert-deliverer.js';
export type { AlertDelivererOptions } from './observe/alerts/alert-deliverer.js';
export { AlertNotifier } from './observe/alerts/alert-notifier.js';
export type { AlertNotifierOptions } from './observe/alerts/alert-notifier.js';
export {
  EmailSender,
  SIGNATURE_HEADER,
  WebhookSender,
  signWebhookBody,
} from './observe/alerts/alert-sender.js';
export type { AlertSender, SmtpSettings } from './observe/alerts/alert-sender.js';
export { FireTracer } from './observe/fire-tracer.js';
