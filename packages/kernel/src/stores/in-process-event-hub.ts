/**
 * @module stores/in-process-event-hub
 * The embedded event hub (redis `memory://`): delivery inside this process, with the same
 * semantics the Redis hub has within one process. Broadcast subscribers each get every message
 * published while they are subscribed; a queue group hands each message to one of its members
 * and keeps what arrives while it has none, until a member joins again. Each subscription
 * handles its messages one at a time, in order; a throwing handler is logged and affects no other.
 */
import type { EventBus, EventHandler, EventMessage, SubscribeOptions } from './types.js';
import type { EventHub, EventHubOptions } from './event-bus.js';
import { assertTopic, encodePayload } from './event-codec.js';

/** Same bound as the Redis stream's MAXLEN: a group nobody consumes must not grow without end. */
const BACKLOG_LIMIT = 10_000;

interface Envelope {
  id: string;
  topic: string;
  encoded: string;
  source: string;
  time: number;
}

class Subscription {
  private readonly pending: Envelope[] = [];
  private running: Promise<void> | null = null;
  active = true;

  constructor(
    private readonly handler: EventHandler<any>,
    private readonly onError: (err: unknown, envelope: Envelope) => void,
  ) {}

  deliver(envelope: Envelope): void {
    this.pending.push(envelope);
    this.running ??= this.drain();
  }

  /** Stops after the message in hand; returns the ones it had not started, for the group to redeliver. */
  async stop(): Promise<Envelope[]> {
    this.active = false;
    await this.running;
    return this.pending.splice(0);
  }

  private async drain(): Promise<void> {
    // Start on a later tick: publish never runs a handler synchronously.
    await Promise.resolve();
    while (this.active && this.pending.length > 0) {
      const envelope = this.pending.shift()!;
      const message: EventMessage = {
        id: envelope.id,
        topic: envelope.topic,
        payload: JSON.parse(envelope.encoded),
        source: envelope.source,
        time: envelope.time,
      };
      try {
        await this.handler(message);
      } catch (err) {
        this.onError(err, envelope);
      }
    }
    this.running = null;
  }
}

interface Group {
  members: Subscription[];
  next: number;
  backlog: Envelope[];
}

interface Topic {
  broadcast: Set<Subscription>;
  groups: Map<string, Group>;
}

export function createInProcessEventHub(options: EventHubOptions): EventHub {
  const topics = new Map<string, Topic>();
  const all = new Set<() => Promise<void>>();
  let counter = 0;
  let closed = false;

  const topicOf = (name: string): Topic => {
    let topic = topics.get(name);
    if (!topic) {
      topic = { broadcast: new Set(), groups: new Map() };
      topics.set(name, topic);
    }
    return topic;
  };

  const onError = (moduleId: string) => (err: unknown, envelope: Envelope) =>
    options.log.error({ err, module: moduleId, topic: envelope.topic, eventId: envelope.id }, 'Event handler failed');

  const publish = (source: string, name: string, payload: unknown): void => {
    if (closed) throw new Error('Event hub is closed.');
    const envelope: Envelope = { id: String(++counter), topic: assertTopic(name), encoded: encodePayload(payload), source, time: Date.now() };
    const topic = topics.get(name);
    if (!topic) return;
    for (const subscription of topic.broadcast) subscription.deliver(envelope);
    for (const group of topic.groups.values()) {
      if (group.members.length === 0) {
        group.backlog.push(envelope);
        if (group.backlog.length > BACKLOG_LIMIT) group.backlog.shift();
      } else {
        group.members[group.next++ % group.members.length].deliver(envelope);
      }
    }
  };

  const subscribe = (moduleId: string, name: string, handler: EventHandler<any>, subscribeOptions: SubscribeOptions = {}) => {
    if (closed) throw new Error('Event hub is closed.');
    const topic = topicOf(assertTopic(name));
    const subscription = new Subscription(handler, onError(moduleId));
    let unsubscribe: () => Promise<void>;

    if ((subscribeOptions.mode ?? 'broadcast') === 'broadcast') {
      topic.broadcast.add(subscription);
      unsubscribe = async () => {
        topic.broadcast.delete(subscription);
        await subscription.stop();
      };
    } else {
      const groupName = subscribeOptions.group ?? moduleId;
      let group = topic.groups.get(groupName);
      if (!group) {
        group = { members: [], next: 0, backlog: [] };
        topic.groups.set(groupName, group);
      }
      const joined = group;
      joined.members.push(subscription);
      for (const envelope of joined.backlog.splice(0)) subscription.deliver(envelope);
      unsubscribe = async () => {
        joined.members = joined.members.filter((m) => m !== subscription);
        const unhandled = await subscription.stop();
        // Like unacknowledged stream entries, what this member had not started goes to the group.
        for (const envelope of unhandled) {
          if (joined.members.length === 0) joined.backlog.push(envelope);
          else joined.members[joined.next++ % joined.members.length].deliver(envelope);
        }
      };
    }

    let done: Promise<void> | null = null;
    const once = () => {
      done ??= unsubscribe().finally(() => all.delete(once));
      return done;
    };
    all.add(once);
    return once;
  };

  return {
    forModule(moduleId: string): EventBus {
      return Object.freeze({
        async publish<T>(topic: string, payload: T) {
          publish(moduleId, topic, payload);
        },
        async subscribe<T>(topic: string, handler: EventHandler<T>, subscribeOptions?: SubscribeOptions) {
          return subscribe(moduleId, topic, handler as EventHandler<any>, subscribeOptions);
        },
      });
    },
    async close() {
      closed = true;
      await Promise.all([...all].map((unsubscribe) => unsubscribe()));
    },
  };
}
