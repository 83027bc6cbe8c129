import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitSqlStatements } from '../../lambdas/shared/db/sql-splitter';

const SCHEMA_DIR = join(__dirname, '..', '..', 'schema');

describe('splitSqlStatements', () => {
  test('splits on top-level semicolons and trims each statement', () => {
    expect(splitSqlStatements('SELECT 1;\n  SELECT 2 ;SELECT 3')).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 3']);
  });

  test('drops empty statements and a trailing semicolon', () => {
    expect(splitSqlStatements(';;SELECT 1;;\n;  ')).toEqual(['SELECT 1']);
    expect(splitSqlStatements('')).toEqual([]);
  });

  test('keeps semicolons inside string literals, including doubled quotes', () => {
    const sql = "INSERT INTO t VALUES ('a;b', 'it''s; fine', ''''); SELECT ';'";
    expect(splitSqlStatements(sql)).toEqual(["INSERT INTO t VALUES ('a;b', 'it''s; fine', '''')", "SELECT ';'"]);
  });

  test('keeps semicolons inside quoted identifiers, including doubled quotes', () => {
    expect(splitSqlStatements('SELECT 1 AS "a;""b"; SELECT 2')).toEqual(['SELECT 1 AS "a;""b"', 'SELECT 2']);
  });

  test('reads backslash escapes in E strings and not in standard strings', () => {
    expect(splitSqlStatements("SELECT E'it\\'s; one'; SELECT 'back\\'; SELECT 3")).toEqual([
      "SELECT E'it\\'s; one'",
      "SELECT 'back\\'",
      'SELECT 3',
    ]);
  });

  test('keeps a function body in anonymous dollar quotes whole', () => {
    const body = `CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1; -- a comment; with a semicolon
  RETURN 1;
END
$$`;
    expect(splitSqlStatements(`${body};\nSELECT f();`)).toEqual([body, 'SELECT f()']);
  });

  test('keeps tagged dollar quotes whole, with other dollar quotes and quotes inside', () => {
    const body = `DO $outer$
BEGIN
  EXECUTE $inner$ SELECT ';' ; SELECT 'x' $inner$;
  RAISE NOTICE 'done; really';
END
$outer$`;
    expect(splitSqlStatements(`${body}; SELECT 2`)).toEqual([body, 'SELECT 2']);
  });

  test('does not treat a positional parameter or a $ inside an identifier as a dollar quote', () => {
    expect(splitSqlStatements('SELECT $1; SELECT $2::text')).toEqual(['SELECT $1', 'SELECT $2::text']);
    expect(splitSqlStatements('SELECT 1 AS a$b$; SELECT 2')).toEqual(['SELECT 1 AS a$b$', 'SELECT 2']);
  });

  test('ignores semicolons and quotes in line and block comments', () => {
    const sql = `-- leading comment; with a semicolon and a quote '
SELECT 1; /* block; comment ' with a quote */ SELECT 2;
-- trailing comment only;`;
    expect(splitSqlStatements(sql)).toEqual(['-- leading comment; with a semicolon and a quote \'\nSELECT 1', "/* block; comment ' with a quote */ SELECT 2"]);
  });

  test('drops a segment that holds only comments', () => {
    expect(splitSqlStatements('SELECT 1;\n-- done\n/* the end; */\n')).toEqual(['SELECT 1']);
  });

  test('reads nested block comments as PostgreSQL does', () => {
    expect(splitSqlStatements('SELECT 1 /* outer /* inner */ still; comment */; SELECT 2')).toEqual([
      'SELECT 1 /* outer /* inner */ still; comment */',
      'SELECT 2',
    ]);
  });

  test('refuses unterminated quotes, dollar quotes and comments', () => {
    expect(() => splitSqlStatements("SELECT 'open; SELECT 2")).toThrow('unterminated string');
    expect(() => splitSqlStatements('SELECT "open; SELECT 2')).toThrow('unterminated identifier');
    expect(() => splitSqlStatements('DO $body$ BEGIN NULL; END $other$')).toThrow('unterminated dollar quote $body$');
    expect(() => splitSqlStatements('SELECT 1 /* open; SELECT 2')).toThrow('unterminated block comment');
  });

  test('splits every schema migration into statements that each parse on their own', () => {
    const file = readFileSync(join(SCHEMA_DIR, '0001_roles_and_context.sql'), 'utf8');
    const statements = splitSqlStatements(file);
    expect(statements[0]).toMatch(/^-- Database roles[\s\S]*DO \$\$[\s\S]*END\n\$\$$/);
    expect(statements.filter((s) => /CREATE FUNCTION app_ctx_/.test(s))).toHaveLength(5);
    expect(statements.at(-1)).toMatch(/^-- Shared trigger[\s\S]*CREATE FUNCTION touch_row\(\)[\s\S]*\$\$$/);
    for (const statement of statements) expect(statement.endsWith(';')).toBe(false);
  });
});
