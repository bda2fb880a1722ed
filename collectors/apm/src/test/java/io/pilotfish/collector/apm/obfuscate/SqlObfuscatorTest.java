package io.pilotfish.collector.apm.obfuscate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig.SqlObfuscationMode;
import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig.SqlSettings;
import io.pilotfish.collector.apm.obfuscate.SqlObfuscationException.Reason;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Agent's other SQL test tables ({@code pkg/obfuscate/sql_test.go}): options, dialects, Unicode, table names,
 * the tokenizer's escape rules and its errors; then what a hostile query must not do here.
 */
class SqlObfuscatorTest {

    private static SqlObfuscator with(boolean tableNames, boolean replaceDigits, boolean keepAlias,
                                      boolean dollarQuotedFunc) {
        return new SqlObfuscator(new SqlSettings(SqlObfuscationMode.TOKENIZER, tableNames, replaceDigits, keepAlias,
                dollarQuotedFunc), 0);
    }

    private static String obfuscate(String query) throws SqlObfuscationException {
        return SqlObfuscator.withDefaults().obfuscate(query).query();
    }

    @Test
    void aliasesGoUnlessKept() throws SqlObfuscationException {
        String query = "SELECT username AS person FROM users WHERE id=4";
        assertEquals("SELECT username FROM users WHERE id = ?", obfuscate(query));
        assertEquals("SELECT username AS person FROM users WHERE id = ?",
                with(false, false, true, false).obfuscate(query).query());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "autovacuum: VACUUM ANALYZE fake.table|autovacuum : VACUUM ANALYZE fake.table",
            "autovacuum: VACUUM ANALYZE fake.table_downtime|autovacuum : VACUUM ANALYZE fake.table_downtime",
            "autovacuum: VACUUM fake.big_table (to prevent wraparound)|"
                    + "autovacuum : VACUUM fake.big_table ( to prevent wraparound )"})
    void keepsPostgresAutovacuumReadable(String query, String expected) throws SqlObfuscationException {
        assertEquals(expected, obfuscate(query));
    }

    @Test
    void dollarQuotedFunctionBodyIsHiddenOrObfuscatedWithTheFeature() throws SqlObfuscationException {
        String query = "SELECT $func$INSERT INTO table VALUES ('a', 1, 2)$func$ FROM users";
        assertEquals("SELECT ? FROM users", obfuscate(query));
        assertEquals("SELECT $func$INSERT INTO table VALUES ( ? )$func$ FROM users",
                with(false, false, false, true).obfuscate(query).query());
        String upsert = "CREATE OR REPLACE FUNCTION pg_temp.sequelize_upsert(OUT created boolean, OUT primary_key "
                + "text) AS $func$ BEGIN INSERT INTO \"school\" (\"id\",\"organization_id\",\"name\",\"created_at\","
                + "\"updated_at\") VALUES ('dc4e9444-d7c9-40a9-bcef-68e4cc594e61','ec647f56-f27a-49a1-84af-"
                + "021ad0a19f21','Test','2021-03-31 16:30:43.915 +00:00','2021-03-31 16:30:43.915 +00:00'); created "
                + ":= true; EXCEPTION WHEN unique_violation THEN UPDATE \"school\" SET \"id\"='dc4e9444-d7c9-40a9-"
                + "bcef-68e4cc594e61',\"organization_id\"='ec647f56-f27a-49a1-84af-021ad0a19f21',\"name\"='Test',"
                + "\"updated_at\"='2021-03-31 16:30:43.915 +00:00' WHERE (\"id\" = 'dc4e9444-d7c9-40a9-bcef-"
                + "68e4cc594e61'); created := false; END; $func$ LANGUAGE plpgsql; SELECT * FROM "
                + "pg_temp.sequelize_upsert();";
        assertEquals("CREATE OR REPLACE FUNCTION pg_temp.sequelize_upsert ( OUT created boolean, OUT primary_key "
                        + "text ) AS $func$BEGIN INSERT INTO school ( id, organization_id, name, created_at, "
                        + "updated_at ) VALUES ( ? ) created := ? EXCEPTION WHEN unique_violation THEN UPDATE school "
                        + "SET id = ? organization_id = ? name = ? updated_at = ? WHERE ( id = ? ) created := ? "
                        + "END$func$ LANGUAGE plpgsql SELECT * FROM pg_temp.sequelize_upsert ( )",
                with(false, false, true, true).obfuscate(upsert).query());
    }

    @Test
    void sqlServerKeepsMergeOutputAction() throws SqlObfuscationException {
        String query = "\n\tMERGE INTO Employees AS target\n\tUSING EmployeeUpdates AS source\n\tON (target.EmployeeID ="
                + " source.EmployeeID)\n\tWHEN MATCHED THEN \n\t\tUPDATE SET \n\t\t\ttarget.Name = source.Name\n\tWHEN "
                + "NOT MATCHED BY TARGET THEN \n\t\tINSERT (EmployeeID, Name)\n\t\tVALUES (source.EmployeeID, "
                + "source.Name)\n\tWHEN NOT MATCHED BY SOURCE THEN \n\t\tDELETE\n\tOUTPUT $action, inserted.*, "
                + "deleted.*;\n\t";
        assertEquals("MERGE INTO Employees USING EmployeeUpdates ON ( target.EmployeeID = source.EmployeeID ) WHEN "
                        + "MATCHED THEN UPDATE SET target.Name = source.Name WHEN NOT MATCHED BY TARGET THEN INSERT ( "
                        + "EmployeeID, Name ) VALUES ( source.EmployeeID, source.Name ) WHEN NOT MATCHED BY SOURCE "
                        + "THEN DELETE OUTPUT $action, inserted.*, deleted.*",
                SqlObfuscator.withDefaults().obfuscate(query, Dbms.MSSQL).query());
    }

    /** The Agent's {@code TestScanDollarQuotedString}, through the tokenizer. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "$tag$abc$tag$|abc|false",
            "$func$abc$func$|abc|false",
            "$tag$textwith\\n\\rnewlinesand\\r\\\\\\$tag$|textwith\\n\\rnewlinesand\\r\\\\\\|false",
            "$tag$ab$tactac$tx$tag$|ab$tactac$tx|false",
            "$$abc$$|abc|false",
            "$$abc|abc|true",
            "$$abc$|abc|true"})
    void scansDollarQuotedStrings(String input, String body, boolean error) {
        SqlTokenizer tokenizer = new SqlTokenizer(input, false, Dbms.GENERIC, false, b -> null);
        int kind = tokenizer.scan();
        if (error) {
            assertEquals(SqlTokenizer.LEX_ERROR, kind);
            assertEquals(Reason.UNTERMINATED_STRING, tokenizer.error().reason());
        } else {
            assertEquals(SqlTokenizer.DOLLAR_QUOTED_STRING, kind);
            assertEquals(body, tokenizer.text());
        }
    }

    @Test
    void funcTagIsItsOwnKindOnlyWithTheFeature() {
        assertEquals(SqlTokenizer.DOLLAR_QUOTED_STRING,
                new SqlTokenizer("$func$abc$func$", false, Dbms.GENERIC, false, b -> "x").scan());
        assertEquals(SqlTokenizer.DOLLAR_QUOTED_FUNC,
                new SqlTokenizer("$func$abc$func$", false, Dbms.GENERIC, true, b -> "x").scan());
    }

    /** The Agent's {@code TestSQLMetadata}: the tables found ({@code sql.tables}); its commands and comments are not kept. */
    @ParameterizedTest
    @MethodSource("metadataCases")
    void findsTables(String query, boolean replaceDigits, String expected, String tables)
            throws SqlObfuscationException {
        ObfuscatedSql result = with(true, replaceDigits, false, false).obfuscate(query);
        assertEquals(expected, result.query());
        assertEquals(tables, result.tablesCsv());
    }

    static Stream<Arguments> metadataCases() {
        return Stream.of(
                Arguments.of("\n/* Multi-line comment */\nSELECT * FROM clients WHERE (clients.first_name = 'Andy') "
                        + "LIMIT 1 BEGIN INSERT INTO owners (created_at, first_name, locked, orders_count, updated_at) "
                        + "VALUES ('2011-08-30 05:22:57', 'Andy', 1, NULL, '2011-08-30 05:22:57') COMMIT", false,
                        "SELECT * FROM clients WHERE ( clients.first_name = ? ) LIMIT ? BEGIN INSERT INTO owners ( "
                        + "created_at, first_name, locked, orders_count, updated_at ) VALUES ( ? ) COMMIT",
                        "clients,owners"),
                Arguments.of("\n-- Single line comment\n-- Another single line comment\n-- Another another single "
                        + "line comment\nGRANT USAGE, DELETE ON SCHEMA datadog TO datadog", false,
                        "GRANT USAGE, DELETE ON SCHEMA datadog TO datadog", ""),
                Arguments.of("\n/* Multi-line comment\nwith line breaks */\nWITH sales AS\n(SELECT sf2.*\n\tFROM "
                        + "gosalesdw28391.sls_order_method_dim AS md,\n\t\tgosalesdw1920.sls_product_dim391 AS pd190,"
                        + "\n\t\tgosalesdw3819.emp_employee_dim AS ed,\n\t\tgosalesdw3919.sls_sales_fact3819 AS sf2\n"
                        + "\tWHERE pd190.product_key = sf2.product_key\n\tAND pd190.product_number381 > 10000\n\tAND "
                        + "pd190.base_product_key > 30\n\tAND md.order_method_key = sf2.order_method_key8319\n\tAND "
                        + "md.order_method_code > 5\n\tAND ed.employee_key = sf2.employee_key\n\tAND "
                        + "ed.manager_code1 > 20),\ninventory3118 AS\n(SELECT if.*\n\tFROM "
                        + "gosalesdw1592.go_branch_dim AS bd3221,\n\tgosalesdw.dist_inventory_fact AS if\n\tWHERE "
                        + "if.branch_key = bd3221.branch_key\n\tAND bd3221.branch_code > 20)\nSELECT "
                        + "sales1828.product_key AS PROD_KEY,\nSUM(CAST (inventory3118.quantity_shipped AS BIGINT)) "
                        + "AS INV_SHIPPED3118,\nSUM(CAST (sales1828.quantity AS BIGINT)) AS PROD_QUANTITY,\nRANK() "
                        + "OVER ( ORDER BY SUM(CAST (sales1828.quantity AS BIGINT)) DESC) AS PROD_RANK\nFROM "
                        + "sales1828, inventory3118\nWHERE sales1828.product_key = inventory3118.product_key\nGROUP "
                        + "BY sales1828.product_key", true,
                        "WITH sales SELECT sf?.* FROM gosalesdw?.sls_order_method_dim, gosalesdw?.sls_product_dim?, "
                        + "gosalesdw?.emp_employee_dim, gosalesdw?.sls_sales_fact? WHERE pd?.product_key = "
                        + "sf?.product_key AND pd?.product_number? > ? AND pd?.base_product_key > ? AND "
                        + "md.order_method_key = sf?.order_method_key? AND md.order_method_code > ? AND "
                        + "ed.employee_key = sf?.employee_key AND ed.manager_code? > ? ) inventory? SELECT if.* FROM "
                        + "gosalesdw?.go_branch_dim, gosalesdw.dist_inventory_fact WHERE if.branch_key = "
                        + "bd?.branch_key AND bd?.branch_code > ? ) SELECT sales?.product_key, SUM ( CAST ( "
                        + "inventory?.quantity_shipped ) ), SUM ( CAST ( sales?.quantity ) ), RANK ( ) OVER ( ORDER "
                        + "BY SUM ( CAST ( sales?.quantity ) ) DESC ) FROM sales?, inventory? WHERE "
                        + "sales?.product_key = inventory?.product_key GROUP BY sales?.product_key",
                        "gosalesdw?.sls_order_method_dim,gosalesdw?.go_branch_dim,sales?"),
                Arguments.of("CREATE TRIGGER dogwatcher SELECT ON w1 BEFORE (UPDATE d1 SET (c1, c2, c3) = (c1 + 1, "
                        + "c2 + 1, c3 + 1))", false,
                        "CREATE TRIGGER dogwatcher SELECT ON w1 BEFORE ( UPDATE d1 SET ( c1, c2, c3 ) = ( c1 + ? c2 "
                        + "+ ? c3 + ? ) )", "d1"),
                Arguments.of("\n-- Testing table value constructor SQL expression\nSELECT * FROM (VALUES (1, 'dog')) "
                        + "AS d (id, animal)", false, "SELECT * FROM ( VALUES ( ? ) ) ( id, animal )", ""),
                Arguments.of("ALTER TABLE table DROP COLUMN column", false, "ALTER TABLE table DROP COLUMN column",
                        ""),
                Arguments.of("REVOKE ALL ON SCHEMA datadog FROM datadog", false,
                        "REVOKE ALL ON SCHEMA datadog FROM datadog", "datadog"),
                Arguments.of("TRUNCATE TABLE datadog", false, "TRUNCATE TABLE datadog", ""),
                Arguments.of("\n-- Testing explicit table SQL expression\nWITH T1 AS (SELECT PNO , PNAME , COLOR , "
                        + "WEIGHT , CITY FROM P WHERE  CITY = 'London'),\nT2 AS (SELECT PNO, PNAME, COLOR, WEIGHT, "
                        + "CITY, 2 * WEIGHT AS NEW_WEIGHT, 'Oslo' AS NEW_CITY FROM T1),\nT3 AS ( SELECT PNO , PNAME, "
                        + "COLOR, NEW_WEIGHT AS WEIGHT, NEW_CITY AS CITY FROM T2),\nT4 AS ( TABLE P EXCEPT "
                        + "CORRESPONDING TABLE T1)\nTABLE T4 UNION CORRESPONDING TABLE T3", false,
                        "WITH T1 SELECT PNO, PNAME, COLOR, WEIGHT, CITY FROM P WHERE CITY = ? ) T2 SELECT PNO, PNAME, "
                        + "COLOR, WEIGHT, CITY, ? * WEIGHT, ? FROM T1 ), T3 SELECT PNO, PNAME, COLOR, NEW_WEIGHT, "
                        + "NEW_CITY FROM T2 ), T4 TABLE P EXCEPT CORRESPONDING TABLE T1 ) TABLE T4 UNION "
                        + "CORRESPONDING TABLE T3", "P,T1,T2"));
    }

    /** The Agent's {@code TestSQLTableFinderAndReplaceDigits} ("on"). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\u0000', value = {
            "select * from users where id = 42|users|select * from users where id = ?",
            "select * from `backslashes` where id = 42|backslashes|select * from backslashes where id = ?",
            "select * from \"double-quotes\" where id = 42|double-quotes|select * from double-quotes where id = ?",
            "SELECT host, status FROM ec2_status WHERE org_id = 42|ec?_status|"
                    + "SELECT host, status FROM ec?_status WHERE org_id = ?",
            "SELECT * FROM (SELECT * FROM nested_table)|nested_table|SELECT * FROM ( SELECT * FROM nested_table )",
            "SELECT articles.* FROM articles WHERE articles.id = 1 LIMIT 1, 20|articles|"
                    + "SELECT articles.* FROM articles WHERE articles.id = ? LIMIT ?",
            "DELETE FROM table WHERE table.a=1|table|DELETE FROM table WHERE table.a = ?",
            "REPLACE INTO sales_2019_07_01 (`itemID`, `date`, `qty`, `price`) VALUES ((SELECT itemID FROM item1001 "
                    + "WHERE `sku` = [sku]), CURDATE(), [qty], 0.00)|sales_?_?_?,item?|REPLACE INTO sales_?_?_? ( "
                    + "itemID, date, qty, price ) VALUES ( ( SELECT itemID FROM item? WHERE sku = [ sku ] ), "
                    + "CURDATE ( ), [ qty ], ? )",
            "SELECT name FROM people WHERE person_id = -1|people|SELECT name FROM people WHERE person_id = ?",
            "select * from test where !is_good;|test|select * from test where ! is_good",
            "select * from test where ! is_good;|test|select * from test where ! is_good",
            "select * from test where !45;|test|select * from test where ! ?",
            "select * from test where !(select is_good from good_things);|test,good_things|"
                    + "select * from test where ! ( select is_good from good_things )",
            "select * from test where !'weird_query'|test|select * from test where ! ?",
            "select * from test where !\"weird_query\"|test|select * from test where ! weird_query",
            "select * from test where !`weird_query`|test|select * from test where ! weird_query",
            "select !- 2||select ! - ?",
            "select !+2||select ! + ?",
            "select * from test where !- 2|test|select * from test where ! - ?",
            "select count(*) as `count(*)` from test|test|select count ( * ) from test",
            "SELECT age as `age}` FROM profile|profile|SELECT age FROM profile",
            "SELECT age as `age``}` FROM profile|profile|SELECT age FROM profile",
            "SELECT * from users where user_id =:0_USER|users|SELECT * from users where user_id = :0_USER"})
    void findsTablesAndReplacesDigits(String query, String tables, String expected) throws SqlObfuscationException {
        ObfuscatedSql result = with(true, true, false, false).obfuscate(query);
        assertEquals(expected, result.query());
        assertEquals(tables == null ? "" : tables, result.tablesCsv());
    }

    @Test
    void tablesAreNotCollectedByDefault() throws SqlObfuscationException {
        assertEquals("", SqlObfuscator.withDefaults().obfuscate("DELETE FROM table WHERE table.a=1").tablesCsv());
    }

    /** The Agent's {@code TestSQLReplaceDigits}: identifiers keep their digits unless asked. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\u0000', value = {
            "SELECT ddh19.name, ddt.tags FROM dd91219.host ddh19, dd21916.host_tags ddt WHERE ddh19.id = ddt.host_id "
                    + "AND ddh19.org_id = 2 AND ddh19.name = 'datadog'|SELECT ddh?.name, ddt.tags FROM dd?.host ddh?, "
                    + "dd?.host_tags ddt WHERE ddh?.id = ddt.host_id AND ddh?.org_id = ? AND ddh?.name = ?|SELECT "
                    + "ddh19.name, ddt.tags FROM dd91219.host ddh19, dd21916.host_tags ddt WHERE ddh19.id = "
                    + "ddt.host_id AND ddh19.org_id = ? AND ddh19.name = ?",
            "SELECT ddu2.name, ddo.id10, ddk.app_key52 FROM dd3120.user ddu2, dd1931.orgs55 ddo, dd53819.keys ddk|"
                    + "SELECT ddu?.name, ddo.id?, ddk.app_key? FROM dd?.user ddu?, dd?.orgs? ddo, dd?.keys ddk|"
                    + "SELECT ddu2.name, ddo.id10, ddk.app_key52 FROM dd3120.user ddu2, dd1931.orgs55 ddo, "
                    + "dd53819.keys ddk"})
    void replacesDigitsInIdentifiersOnlyWhenAsked(String query, String withDigitsReplaced, String byDefault)
            throws SqlObfuscationException {
        assertEquals(withDigitsReplaced, with(false, true, false, false).obfuscate(query).query());
        assertEquals(byDefault, obfuscate(query));
    }

    /** The Agent's {@code TestSQLUTF8}. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\u0000', value = {
            "SELECT Codi , Nom_CA AS Nom, Descripció_CAT AS Descripció FROM ProtValAptitud WHERE Vigent=1 ORDER BY "
                    + "Ordre, Codi|SELECT Codi, Nom_CA, Descripció_CAT FROM ProtValAptitud WHERE Vigent = ? ORDER BY "
                    + "Ordre, Codi",
            "select * from dollarField$ as df from some$dollar$filled_thing$$;|"
                    + "select * from dollarField$ from some$dollar$filled_thing$$",
            "select * from `構わない`;|select * from 構わない",
            "select * from names where name like '\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD';|"
                    + "select * from names where name like ?",
            "select replacement from table where replacement = 'i\uFFFDn\uFFFDt\uFFFDe\uFFFD\uFFFDrspersed';|"
                    + "select replacement from table where replacement = ?",
            "SELECT ('\uFFFD');|SELECT ( ? )"})
    void handlesUnicode(String query, String expected) throws SqlObfuscationException {
        assertEquals(expected, obfuscate(query));
    }

    /** The Agent's {@code TestPGJSONOperators}: with the PostgreSQL dialect. */
    @ParameterizedTest
    @CsvSource(delimiterString = " => ", quoteCharacter = '\u0000', value = {
            "select users.custom #> '{a,b}' from users => select users.custom #> ? from users",
            "select users.custom #>> '{a,b}' from users => select users.custom #>> ? from users",
            "select users.custom #- '{a,b}' from users => select users.custom #- ? from users",
            "select users.custom -> 'foo' from users => select users.custom -> ? from users",
            "select users.custom ->> 'foo' from users => select users.custom ->> ? from users",
            "select * from users where user.custom @> '{a,b}' => select * from users where user.custom @> ?",
            "SELECT a FROM foo WHERE value<@name => SELECT a FROM foo WHERE value <@ name",
            "select * from users where user.custom ? 'foo' => select * from users where user.custom ? ?",
            "select * from users where user.custom ?| array [ '1', '2' ] => "
                    + "select * from users where user.custom ?| array [ ? ]",
            "select * from users where user.custom ?& array [ '1', '2' ] => "
                    + "select * from users where user.custom ?& array [ ? ]"})
    void readsPostgresJsonOperators(String query, String expected) throws SqlObfuscationException {
        assertEquals(expected, SqlObfuscator.withDefaults().obfuscate(query, Dbms.POSTGRESQL).query());
    }

    /** The Agent's {@code TestObfuscatorDBMSBehavior}: SQL Server temporary tables and bracketed names. */
    @Test
    void readsSqlServerNames() throws SqlObfuscationException {
        SqlObfuscator obfuscator = with(true, false, false, false);
        assertEquals("select * from ##ThisIsAGlobalTempTable where id = ?",
                obfuscator.obfuscate("select * from ##ThisIsAGlobalTempTable where id = 1", Dbms.MSSQL).query());
        assertEquals("select * from dbo.#ThisIsATempTable where id = ?",
                obfuscator.obfuscate("select * from dbo.#ThisIsATempTable where id = 1", Dbms.MSSQL).query());
        ObfuscatedSql bracketed = obfuscator.obfuscate("SELECT * from [db_users] where [id] = @1", Dbms.MSSQL);
        assertEquals("SELECT * from db_users where id = @1", bracketed.query());
        assertEquals("db_users", bracketed.tablesCsv());
    }

    /** The Agent's {@code TestMultipleProcess}. */
    @Test
    void obfuscatesModuloAndComparisons() throws SqlObfuscationException {
        assertEquals("SELECT id FROM jq_jobs WHERE schedulable_at <= ? AND queue_name = ? AND status = ? AND id % ? ="
                        + " ? ORDER BY schedulable_at LIMIT ?",
                obfuscate("SELECT id FROM jq_jobs\nWHERE\nschedulable_at <= 1555367948 AND\nqueue_name = 'order_jobs'"
                        + " AND\nstatus = 1 AND\nid % 8 = 3\nORDER BY\nschedulable_at\nLIMIT 1000"));
    }

    /**
     * Quirks of the Agent's tokenizer kept for identical resources (read from {@code sql_tokenizer.go}, not from its
     * tests): outside PostgreSQL "->" reads as a lone '-' number, and "-." before a non-digit swallows the '.'.
     */
    @Test
    void keepsTheAgentsTokenizerQuirks() throws SqlObfuscationException {
        assertEquals("SELECT a ? > b", obfuscate("SELECT a -> b"));
        assertEquals("SELECT a -. b", obfuscate("SELECT a -.b"));
        assertEquals("SELECT a - .", obfuscate("SELECT a -."));
        assertEquals("SELECT a -. b c", obfuscate("SELECT a -.b c"));
    }

    /** The Agent's {@code TestParseNumber}: every form of number is one literal. */
    @ParameterizedTest
    @ValueSource(strings = {"1234", "-1234", "1234e12", "0xfa", "01234567", "09", "-01234567", "-012345678",
            "1.5E-10", "-.5e+3", "0X1F", "3.14"})
    void readsNumbers(String number) throws SqlObfuscationException {
        assertEquals("?", obfuscate(number));
    }

    /**
     * The Agent's {@code TestSQLTokenizerIgnoreEscapeFalse} and {@code ...True}: what one string token holds with
     * backslashes as escapes (false) or as plain characters (true).
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\u0000', value = {
            "false|'Simple string'|Simple string",
            "false|'String with backslash at end \\'|",
            "false|'String with backslash \\ in the middle'|String with backslash  in the middle",
            "false|'String with double-backslash at end \\\\'|String with double-backslash at end \\",
            "false|'String with backslash-escaped quote at end \\''|String with backslash-escaped quote at end '",
            "false|'String with backslash-escaped embedded string \\'foo\\' in the middle'|"
                    + "String with backslash-escaped embedded string 'foo' in the middle",
            "false|'String with double-backslash-escaped embedded string \\\\'foo\\\\' in the middle'|"
                    + "String with double-backslash-escaped embedded string \\",
            "false|'String with embedded string at end ''foo'''|String with embedded string at end 'foo'",
            "false|'Simple string missing closing quote|",
            "false|'String missing closing quote with backslash at end \\|",
            "true|'String with backslash at end \\'|String with backslash at end \\",
            "true|'String with double-backslash \\\\ in the middle'|String with double-backslash \\\\ in the middle",
            "true|'String with backslash-escaped quote at end \\''|",
            "true|'String with backslash-escaped quote \\' in middle'|String with backslash-escaped quote \\",
            "true|'String with embedded string ''foo'' in the middle'|String with embedded string 'foo' in the middle",
            "true|'String missing closing quote with backslash-escaped quote at end \\'|"
                    + "String missing closing quote with backslash-escaped quote at end \\",
            "true|'String missing closing quote with backslash at end \\|"})
    void tokenizesStringsWithEitherEscapeRule(boolean literalEscapes, String input, String content) {
        SqlTokenizer tokenizer = new SqlTokenizer(input, literalEscapes, Dbms.GENERIC, false, b -> null);
        int kind = tokenizer.scan();
        if (content == null) {
            assertEquals(SqlTokenizer.LEX_ERROR, kind);
            assertEquals(Reason.UNTERMINATED_STRING, tokenizer.error().reason());
        } else {
            assertEquals(SqlTokenizer.STRING, kind);
            assertEquals(content, tokenizer.text());
        }
    }

    /** The Agent's {@code TestSQLErrors}, as reasons: the trace-agent then writes "Non-parsable SQL query". */
    @ParameterizedTest
    @CsvSource(delimiterString = " => ", quoteCharacter = '\u0000', value = {
            " => EMPTY_RESULT",
            "-- only a comment => EMPTY_RESULT",
            "SELECT a FROM b WHERE a.x !* 2 => UNEXPECTED_CHARACTER",
            "SELECT a FROM b WHERE a.x !& 2 => UNEXPECTED_CHARACTER",
            "SELECT \uD83E\uDD52 => UNEXPECTED_CHARACTER",
            "SELECT %(asd)| FROM profile => UNEXPECTED_CHARACTER",
            "USING $A FROM users => UNTERMINATED_STRING",
            "INSERT VALUES (1, 2) INTO {ABC => UNTERMINATED_ESCAPE_SEQUENCE",
            "SELECT one, :.two FROM profile => UNEXPECTED_CHARACTER",
            "SELECT age FROM profile WHERE name='John \\ => UNTERMINATED_STRING",
            "SELECT age FROM profile WHERE name='John => UNTERMINATED_STRING",
            "/* abcd => UNTERMINATED_COMMENT",
            "SELECT age FROM profile WHERE name='John\\' and place='John\\'s House' => UNEXPECTED_CHARACTER",
            "SELECT age FROM profile WHERE place='John\\'s House' and name='John\\' => UNTERMINATED_STRING",
            "SELECT * FROM users WHERE users.id = '1 AND users.name = 'dog' => UNTERMINATED_STRING",
            "SELECT } FROM t => UNEXPECTED_CHARACTER",
            "SELECT a AS [1] FROM t => UNEXPECTED_TOKEN"})
    void rejectsWhatTheAgentRejects(String query, Reason reason) {
        SqlObfuscationException e = assertThrows(SqlObfuscationException.class,
                () -> SqlObfuscator.withDefaults().obfuscate(query == null ? "" : query));
        assertEquals(reason, e.reason());
    }

    /** The Agent's {@code TestLiteralEscapesUpdates}: the escape rule that worked is tried first next time. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\u0000', value = {
            "false|SELECT * FROM foo WHERE field1 = 'value1' AND field2 = 'value2'|true|false",
            "true|SELECT * FROM foo WHERE field1 = 'value1' AND field2 = 'value2'|true|true",
            "false|SELECT * FROM foo WHERE name = 'backslash\\' AND id ='1234'|true|true",
            "true|SELECT * FROM foo WHERE name = 'embedded \\'string\\' in quotes' AND id ='1234'|true|false",
            "false|SELECT age FROM profile WHERE name='John\\' and place='John\\'s House'|false|false",
            "true|SELECT age FROM profile WHERE name='John\\' and place='John\\'s House'|false|true"})
    void learnsTheEscapeRule(boolean initial, String query, boolean succeeds, boolean after) {
        SqlObfuscator obfuscator = SqlObfuscator.withDefaults();
        obfuscator.literalEscapes(initial);
        boolean succeeded;
        try {
            obfuscator.obfuscate(query);
            succeeded = true;
        } catch (SqlObfuscationException e) {
            succeeded = false;
        }
        assertEquals(succeeds, succeeded);
        assertEquals(after, obfuscator.literalEscapes());
    }

    @Test
    void reusesCachedResultsAndSeparatesDialects() throws SqlObfuscationException {
        SqlObfuscator cached = new SqlObfuscator(SqlSettings.defaults(), ObfuscationConfig.DEFAULT_CACHE_MAX_SIZE);
        String query = "select users.custom #> '{a,b}' from users where id = 1";
        ObfuscatedSql first = cached.obfuscate(query);
        assertSame(first, cached.obfuscate(query), "the second call is served from the cache");
        assertEquals("select users.custom", first.query());
        assertEquals("select users.custom #> ? from users where id = ?",
                cached.obfuscate(query, Dbms.POSTGRESQL).query(), "a dialect is cached apart");
    }

    @Test
    void cacheStaysWithinItsBudget() throws SqlObfuscationException {
        SqlObfuscator cached = new SqlObfuscator(SqlSettings.defaults(), 20_000);
        for (int i = 0; i < 5_000; i++) {
            cached.obfuscate("SELECT * FROM t" + i + " WHERE id = " + i);
        }
        int held = cached.cachedResults();
        assertTrue(held > 0 && held <= 20_000 / ObfuscationCache.ENTRY_OVERHEAD, "entries held: " + held);
        assertEquals(0, SqlObfuscator.withDefaults().cachedResults());
    }

    /** No input makes it slower than linear: twice the input, about twice the time, and a huge input in time. */
    @ParameterizedTest
    @ValueSource(strings = {"'", "\"", "`", "$$", "$a$", "/*", "{fn ", "(", "((((", "%(", "-- ", "[", "x IN (1, ",
            "1e", "-.", "!", "VALUES (1,2),(3,4),", "\\", "AS [x"})
    void staysLinearOnHostileInput(String unit) {
        String big = unit.repeat(2_000_000 / unit.length());
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try {
                SqlObfuscator.withDefaults().obfuscate(big);
            } catch (SqlObfuscationException expected) {
                // many of these are not SQL at all: any answer will do, in time
            }
        });
    }

    @Test
    void obfuscatesAHugeQueryInTime() {
        String big = "SELECT * FROM t WHERE id IN (" + "12345, 'abc', ".repeat(200_000) + "1)";
        String result = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> SqlObfuscator.withDefaults().obfuscate(big).query());
        assertEquals("SELECT * FROM t WHERE id IN ( ? )", result);
        assertFalse(result.contains("abc"));
    }
}
