/**
 * @module test/helpers/galera-check
 * Asserts that a MariaDB database holds only Galera-safe tables: InnoDB (Galera replicates
 * nothing else) with a primary key (Galera needs one to apply row events in parallel and
 * to delete rows consistently on every node). Any suite can call it after migrating.
 */
import { createConnection } from 'mysql2/promise';

export interface GaleraTableReport {
  table: string;
  engine: string | null;
  hasPrimaryKey: boolean;
}

/**
 * Throws, listing every offending table, unless each base table in the database named by
 * `mysqlUrl`'s path is InnoDB and has a primary key. Returns the tables it checked.
 * @example
 * await runMigrations({ database, modules, owner: 'test' });
 * await assertGaleraSafe(process.env.SCAIGRID_TEST_DATABASE_URL!);
 */
export async function assertGaleraSafe(mysqlUrl: string): Promise<GaleraTableReport[]> {
  const schema = decodeURIComponent(new URL(mysqlUrl).pathname.replace(/^\//, ''));
  if (!schema) throw new Error(`assertGaleraSafe needs a database name in the URL path: ${mysqlUrl}`);
  const conn = await createConnection({ uri: mysqlUrl });
  try {
    const [rows] = await conn.query(
      `select t.TABLE_NAME as name, t.ENGINE as engine,
              exists(select 1 from information_schema.TABLE_CONSTRAINTS c
                     where c.TABLE_SCHEMA = t.TABLE_SCHEMA and c.TABLE_NAME = t.TABLE_NAME
                       and c.CONSTRAINT_TYPE = 'PRIMARY KEY') as has_pk
         from information_schema.TABLES t
        where t.TABLE_SCHEMA = ? and t.TABLE_TYPE = 'BASE TABLE'
        order by t.TABLE_NAME`,
      [schema],
    );
    const report = (rows as { name: string; engine: string | null; has_pk: number | string }[]).map((r) => ({
      table: r.name,
      engine: r.engine,
      hasPrimaryKey: Number(r.has_pk) === 1,
    }));
    const problems = report.flatMap((t) => [
      ...(t.engine?.toLowerCase() === 'innodb' ? [] : [`${t.table}: engine is ${t.engine ?? 'unknown'}, not InnoDB`]),
      ...(t.hasPrimaryKey ? [] : [`${t.table}: no primary key`]),
    ]);
    if (problems.length > 0) {
      throw new Error(`Database '${schema}' is not Galera-safe:\n  ${problems.join('\n  ')}`);
    }
    return report;
  } finally {
    await conn.end();
  }
}
