/**
 * @module greeter
 * The service hello provides to modules that depend on it (`hello.greeter`): it greets,
 * records the greeting and announces it on the event bus.
 */
import { serviceRef, type EventBus } from '@scaigrid/kernel';
import type { Kysely } from 'kysely';
import { ulid } from 'ulid';

export interface Greeter {
  greet(name: string): Promise<string>;
  count(): Promise<number>;
}

export const greeterRef = serviceRef<Greeter>('hello.greeter');

interface GreetingsTable {
  id: string;
  name: string;
  created_at: number;
}

export class DatabaseGreeter implements Greeter {
  constructor(
    private readonly db: Kysely<Record<string, GreetingsTable>>,
    private readonly table: string,
    private readonly events: EventBus,
    private readonly greeting: string,
  ) {}

  async greet(name: string): Promise<string> {
    await this.db.insertInto(this.table).values({ id: ulid(), name, created_at: Date.now() }).execute();
    await this.events.publish('hello.greeted', { name });
    return `${this.greeting}, ${name}!`;
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom(this.table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
