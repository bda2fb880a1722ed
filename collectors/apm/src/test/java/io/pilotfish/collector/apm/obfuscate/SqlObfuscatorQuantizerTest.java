package io.pilotfish.collector.apm.obfuscate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Agent's {@code TestSQLQuantizer} and {@code TestCassQuantizer} tables ({@code pkg/obfuscate/sql_test.go}):
 * inputs and expected resources as the Agent's own tests state them. As there, one obfuscator runs the whole table
 * in order, so the escape rule it learns from one query carries to the next.
 */
class SqlObfuscatorQuantizerTest {

    private static final SqlObfuscator SHARED = SqlObfuscator.withDefaults();
    private static final SqlObfuscator SHARED_CASSANDRA = SqlObfuscator.withDefaults();

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("quantizerCases")
    void obfuscatesAsTheAgent(String query, String expected) throws SqlObfuscationException {
        assertEquals(expected, SHARED.obfuscate(query).query());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("cassandraCases")
    void obfuscatesCassandraAsTheAgent(String query, String expected) throws SqlObfuscationException {
        assertEquals(expected, SHARED_CASSANDRA.obfuscate(query).query());
    }

    static Stream<Arguments> quantizerCases() {
        return Stream.of(
                Arguments.of("select * from users where id = 42", "select * from users where id = ?"),
                Arguments.of("select * from users where float = .43422", "select * from users where float = ?"),
                Arguments.of("SELECT host, status FROM ec2_status WHERE org_id = 42",
                        "SELECT host, status FROM ec2_status WHERE org_id = ?"),
                Arguments.of("SELECT host, status FROM ec2_status WHERE org_id=42",
                        "SELECT host, status FROM ec2_status WHERE org_id = ?"),
                Arguments.of("-- get user \n--\n select * \n   from users \n    where\n       id = 214325346",
                        "select * from users where id = ?"),
                Arguments.of("SELECT * FROM `host` WHERE `id` IN (42, 43) /*comment with parameters,host:localhost,"
                        + "url:controller#home,id:FF005:00CAA*/", "SELECT * FROM host WHERE id IN ( ? )"),
                Arguments.of("SELECT `host`.`address` FROM `host` WHERE org_id=42",
                        "SELECT host . address FROM host WHERE org_id = ?"),
                Arguments.of("SELECT \"host\".\"address\" FROM \"host\" WHERE org_id=42",
                        "SELECT host . address FROM host WHERE org_id = ?"),
                Arguments.of("SELECT * FROM host WHERE id IN (42, 43) /*\n\t\t\tmultiline comment with parameters,\n"
                        + "\t\t\thost:localhost,url:controller#home,id:FF005:00CAA\n\t\t\t*/",
                        "SELECT * FROM host WHERE id IN ( ? )"),
                Arguments.of("UPDATE user_dash_pref SET json_prefs = %(json_prefs)s, modified = '2015-08-27 "
                        + "22:10:32.492912' WHERE user_id = %(user_id)s AND url = %(url)s",
                        "UPDATE user_dash_pref SET json_prefs = ? modified = ? WHERE user_id = ? AND url = ?"),
                Arguments.of("SELECT DISTINCT host.id AS host_id FROM host JOIN host_alias ON host_alias.host_id = "
                        + "host.id WHERE host.org_id = %(org_id_1)s AND host.name NOT IN (%(name_1)s) AND host.name "
                        + "IN (%(name_2)s, %(name_3)s, %(name_4)s, %(name_5)s)",
                        "SELECT DISTINCT host.id FROM host JOIN host_alias ON host_alias.host_id = host.id WHERE "
                        + "host.org_id = ? AND host.name NOT IN ( ? ) AND host.name IN ( ? )"),
                Arguments.of("SELECT org_id, metric_key FROM metrics_metadata WHERE org_id = %(org_id)s AND "
                        + "metric_key = ANY(array[75])",
                        "SELECT org_id, metric_key FROM metrics_metadata WHERE org_id = ? AND metric_key = ANY ( "
                        + "array [ ? ] )"),
                Arguments.of("SELECT org_id, metric_key   FROM metrics_metadata   WHERE org_id = %(org_id)s AND "
                        + "metric_key = ANY(array[21, 25, 32])",
                        "SELECT org_id, metric_key FROM metrics_metadata WHERE org_id = ? AND metric_key = ANY ( "
                        + "array [ ? ] )"),
                Arguments.of("SELECT articles.* FROM articles WHERE articles.id = 1 LIMIT 1",
                        "SELECT articles.* FROM articles WHERE articles.id = ? LIMIT ?"),
                Arguments.of("SELECT articles.* FROM articles WHERE articles.id = 1 LIMIT 1, 20",
                        "SELECT articles.* FROM articles WHERE articles.id = ? LIMIT ?"),
                Arguments.of("SELECT articles.* FROM articles WHERE articles.id = 1 LIMIT 1, 20;",
                        "SELECT articles.* FROM articles WHERE articles.id = ? LIMIT ?"),
                Arguments.of("SELECT articles.* FROM articles WHERE articles.id = 1 LIMIT 15,20;",
                        "SELECT articles.* FROM articles WHERE articles.id = ? LIMIT ?"),
                Arguments.of("SELECT articles.* FROM articles WHERE articles.id = 1 LIMIT 1;",
                        "SELECT articles.* FROM articles WHERE articles.id = ? LIMIT ?"),
                Arguments.of("SELECT articles.* FROM articles WHERE (articles.created_at BETWEEN '2016-10-31 "
                        + "23:00:00.000000' AND '2016-11-01 23:00:00.000000')",
                        "SELECT articles.* FROM articles WHERE ( articles.created_at BETWEEN ? AND ? )"),
                Arguments.of("SELECT articles.* FROM articles WHERE (articles.created_at BETWEEN $1 AND $2)",
                        "SELECT articles.* FROM articles WHERE ( articles.created_at BETWEEN ? AND ? )"),
                Arguments.of("SELECT articles.* FROM articles WHERE (articles.published != true)",
                        "SELECT articles.* FROM articles WHERE ( articles.published != ? )"),
                Arguments.of("SELECT articles.* FROM articles WHERE (title = 'guides.rubyonrails.org')",
                        "SELECT articles.* FROM articles WHERE ( title = ? )"),
                Arguments.of("SELECT articles.* FROM articles WHERE ( title = ? ) AND ( author = ? )",
                        "SELECT articles.* FROM articles WHERE ( title = ? ) AND ( author = ? )"),
                Arguments.of("SELECT articles.* FROM articles WHERE ( title = :title )",
                        "SELECT articles.* FROM articles WHERE ( title = :title )"),
                Arguments.of("SELECT articles.* FROM articles WHERE ( title = @title )",
                        "SELECT articles.* FROM articles WHERE ( title = @title )"),
                Arguments.of("SELECT date(created_at) as ordered_date, sum(price) as total_price FROM orders GROUP "
                        + "BY date(created_at) HAVING sum(price) > 100",
                        "SELECT date ( created_at ), sum ( price ) FROM orders GROUP BY date ( created_at ) HAVING "
                        + "sum ( price ) > ?"),
                Arguments.of("SELECT * FROM articles WHERE id > 10 ORDER BY id asc LIMIT 20",
                        "SELECT * FROM articles WHERE id > ? ORDER BY id asc LIMIT ?"),
                Arguments.of("SELECT clients.* FROM clients INNER JOIN posts ON posts.author_id = author.id AND "
                        + "posts.published = 't'",
                        "SELECT clients.* FROM clients INNER JOIN posts ON posts.author_id = author.id AND "
                        + "posts.published = ?"),
                Arguments.of("SELECT articles.* FROM articles WHERE articles.id IN (1, 3, 5)",
                        "SELECT articles.* FROM articles WHERE articles.id IN ( ? )"),
                Arguments.of("SELECT * FROM clients WHERE (clients.first_name = 'Andy') LIMIT 1 BEGIN INSERT INTO "
                        + "clients (created_at, first_name, locked, orders_count, updated_at) VALUES ('2011-08-30 "
                        + "05:22:57', 'Andy', 1, NULL, '2011-08-30 05:22:57') COMMIT",
                        "SELECT * FROM clients WHERE ( clients.first_name = ? ) LIMIT ? BEGIN INSERT INTO clients ( "
                        + "created_at, first_name, locked, orders_count, updated_at ) VALUES ( ? ) COMMIT"),
                Arguments.of("SELECT * FROM clients WHERE (clients.first_name = 'Andy') LIMIT 15, 25 BEGIN INSERT "
                        + "INTO clients (created_at, first_name, locked, orders_count, updated_at) VALUES "
                        + "('2011-08-30 05:22:57', 'Andy', 1, NULL, '2011-08-30 05:22:57') COMMIT",
                        "SELECT * FROM clients WHERE ( clients.first_name = ? ) LIMIT ? BEGIN INSERT INTO clients ( "
                        + "created_at, first_name, locked, orders_count, updated_at ) VALUES ( ? ) COMMIT"),
                Arguments.of("SAVEPOINT \"s139956586256192_x1\"", "SAVEPOINT ?"),
                Arguments.of("INSERT INTO user (id, username) VALUES ('Fred','Smith'), ('John','Smith'), "
                        + "('Michael','Smith'), ('Robert','Smith');",
                        "INSERT INTO user ( id, username ) VALUES ( ? )"),
                Arguments.of("CREATE KEYSPACE Excelsior WITH replication = {'class': 'SimpleStrategy', "
                        + "'replication_factor' : 3};", "CREATE KEYSPACE Excelsior WITH replication = ?"),
                Arguments.of("SELECT \"webcore_page\".\"id\" FROM \"webcore_page\" WHERE \"webcore_page\".\"slug\" = "
                        + "%s ORDER BY \"webcore_page\".\"path\" ASC LIMIT 1",
                        "SELECT webcore_page . id FROM webcore_page WHERE webcore_page . slug = ? ORDER BY "
                        + "webcore_page . path ASC LIMIT ?"),
                Arguments.of("SELECT server_table.host AS host_id FROM table#.host_tags as server_table WHERE "
                        + "server_table.host_id = 50",
                        "SELECT server_table.host FROM table#.host_tags WHERE server_table.host_id = ?"),
                Arguments.of("INSERT INTO delayed_jobs (attempts, created_at, failed_at, handler, last_error, "
                        + "locked_at, locked_by, priority, queue, run_at, updated_at) VALUES (0, '2016-12-04 "
                        + "17:09:59', NULL, '--- !ruby/object:Delayed::PerformableMethod\\nobject: "
                        + "!ruby/object:Item\\n  store:\\n  - a simple string\\n  - an \\'escaped \\' string\\n  - "
                        + "another \\'escaped\\' string\\n  - 42\\n  string: a string with many "
                        + "\\\\\\\\\\'escapes\\\\\\\\\\'\\nmethod_name: :show_store\\nargs: []\\n', NULL, NULL, NULL, "
                        + "0, NULL, '2016-12-04 17:09:59', '2016-12-04 17:09:59')",
                        "INSERT INTO delayed_jobs ( attempts, created_at, failed_at, handler, last_error, locked_at, "
                        + "locked_by, priority, queue, run_at, updated_at ) VALUES ( ? )"),
                Arguments.of("SELECT name, pretty_print(address) FROM people;",
                        "SELECT name, pretty_print ( address ) FROM people"),
                Arguments.of("* SELECT * FROM fake_data(1, 2, 3);", "* SELECT * FROM fake_data ( ? )"),
                Arguments.of("CREATE FUNCTION add(integer, integer) RETURNS integer\n AS 'select $1 + $2;'\n "
                        + "LANGUAGE SQL\n IMMUTABLE\n RETURNS NULL ON NULL INPUT;",
                        "CREATE FUNCTION add ( integer, integer ) RETURNS integer LANGUAGE SQL IMMUTABLE RETURNS ? "
                        + "ON ? INPUT"),
                Arguments.of("SELECT * FROM public.table ( array [ ROW ( array [ 'magic', 'foo',",
                        "SELECT * FROM public.table ( array [ ROW ( array [ ?"),
                Arguments.of("SELECT pg_try_advisory_lock (123) AS t46eef3f025cc27feb31ca5a2d668a09a",
                        "SELECT pg_try_advisory_lock ( ? )"),
                Arguments.of("INSERT INTO `qual-aa`.issues (alert0 , alert1) VALUES (NULL, NULL)",
                        "INSERT INTO qual-aa . issues ( alert0, alert1 ) VALUES ( ? )"),
                Arguments.of("INSERT INTO user (id, email, name) VALUES (null, ?, ?)",
                        "INSERT INTO user ( id, email, name ) VALUES ( ? )"),
                Arguments.of("select * from users where id = 214325346     # This comment continues to the end of "
                        + "line", "select * from users where id = ?"),
                Arguments.of("select * from users where id = 214325346     -- This comment continues to the end of "
                        + "line", "select * from users where id = ?"),
                Arguments.of("SELECT * FROM /* this is an in-line comment */ users;", "SELECT * FROM users"),
                Arguments.of("SELECT /*! STRAIGHT_JOIN */ col1 FROM table1", "SELECT col1 FROM table1"),
                Arguments.of("DELETE FROM t1\n\t\t\tWHERE s11 > ANY\n\t\t\t(SELECT COUNT(*) /* no hint */ FROM t2\n"
                        + "\t\t\tWHERE NOT EXISTS\n\t\t\t(SELECT * FROM t3\n\t\t\tWHERE ROW(5*t2.s1,77)=\n"
                        + "\t\t\t(SELECT 50,11*s1 FROM t4 UNION SELECT 50,77 FROM\n\t\t\t(SELECT * FROM t5) AS t5)));",
                        "DELETE FROM t1 WHERE s11 > ANY ( SELECT COUNT ( * ) FROM t2 WHERE NOT EXISTS ( SELECT * "
                        + "FROM t3 WHERE ROW ( ? * t2.s1, ? ) = ( SELECT ? * s1 FROM t4 UNION SELECT ? FROM ( "
                        + "SELECT * FROM t5 ) ) ) )"),
                Arguments.of("SET @g = 'POLYGON((0 0,10 0,10 10,0 10,0 0),(5 5,7 5,7 7,5 7, 5 5))';",
                        "SET @g = ?"),
                Arguments.of("SELECT daily_values.*,\n                    LEAST((5040000 - @runtot), value) AS value,\n"
                        + "                    (@runtot := @runtot + daily_values.value) AS total FROM (SELECT "
                        + "@runtot:=0) AS n, `daily_values`  WHERE `daily_values`.`subject_id` = 12345 AND "
                        + "`daily_values`.`subject_type` = 'Skippity' AND (daily_values.date BETWEEN '2018-05-09' "
                        + "AND '2018-06-19') HAVING value >= 0 ORDER BY date",
                        "SELECT daily_values.*, LEAST ( ( ? - @runtot ), value ), ( @runtot := @runtot + "
                        + "daily_values.value ) FROM ( SELECT @runtot := ? ), daily_values WHERE daily_values . "
                        + "subject_id = ? AND daily_values . subject_type = ? AND ( daily_values.date BETWEEN ? AND "
                        + "? ) HAVING value >= ? ORDER BY date"),
                Arguments.of("    SELECT\n      t1.userid,\n      t1.fullname,\n      t1.firm_id,\n      "
                        + "t2.firmname,\n      t1.email,\n      t1.location,\n      t1.state,\n      t1.phone,\n"
                        + "      t1.url,\n      DATE_FORMAT( t1.lastmod, \"%m/%d/%Y %h:%i:%s\" ) AS lastmod,\n"
                        + "      t1.lastmod AS lastmod_raw,\n      t1.user_status,\n      t1.pw_expire,\n"
                        + "      DATE_FORMAT( t1.pw_expire, \"%m/%d/%Y\" ) AS pw_expire_date,\n      t1.addr1,\n"
                        + "      t1.addr2,\n      t1.zipcode,\n      t1.office_id,\n      t1.default_group,\n"
                        + "      t3.firm_status,\n      t1.title\n    FROM\n           userdata      AS t1\n"
                        + "      LEFT JOIN lawfirm_names AS t2 ON t1.firm_id = t2.firm_id\n      LEFT JOIN lawfirms"
                        + "      AS t3 ON t1.firm_id = t3.firm_id\n    WHERE\n      t1.userid = 'jstein'\n\n  ",
                        "SELECT t1.userid, t1.fullname, t1.firm_id, t2.firmname, t1.email, t1.location, t1.state, "
                        + "t1.phone, t1.url, DATE_FORMAT ( t1.lastmod, %m/%d/%Y %h:%i:%s ), t1.lastmod, "
                        + "t1.user_status, t1.pw_expire, DATE_FORMAT ( t1.pw_expire, %m/%d/%Y ), t1.addr1, "
                        + "t1.addr2, t1.zipcode, t1.office_id, t1.default_group, t3.firm_status, t1.title FROM "
                        + "userdata LEFT JOIN lawfirm_names ON t1.firm_id = t2.firm_id LEFT JOIN lawfirms ON "
                        + "t1.firm_id = t3.firm_id WHERE t1.userid = ?"),
                Arguments.of("SELECT [b].[BlogId], [b].[Name]\nFROM [Blogs] AS [b]\nORDER BY [b].[Name]",
                        "SELECT [ b ] . [ BlogId ], [ b ] . [ Name ] FROM [ Blogs ] ORDER BY [ b ] . [ Name ]"),
                Arguments.of("SELECT * FROM users WHERE firstname=''", "SELECT * FROM users WHERE firstname = ?"),
                Arguments.of("SELECT * FROM users WHERE firstname=' '", "SELECT * FROM users WHERE firstname = ?"),
                Arguments.of("SELECT * FROM users WHERE firstname=\"\"", "SELECT * FROM users WHERE firstname = ?"),
                Arguments.of("SELECT * FROM users WHERE lastname=\" \"", "SELECT * FROM users WHERE lastname = ?"),
                Arguments.of("SELECT * FROM users WHERE lastname=\"\t \"", "SELECT * FROM users WHERE lastname = ?"),
                Arguments.of("SELECT customer_item_list_id, customer_id FROM customer_item_list WHERE type = "
                        + "wishlist AND customer_id = ? AND visitor_id IS ? UNION SELECT customer_item_list_id, "
                        + "customer_id FROM customer_item_list WHERE type = wishlist AND customer_id IS ? AND "
                        + "visitor_id = \"AA0DKTGEM6LRN3WWPZ01Q61E3J7ROX7O\" ORDER BY customer_id DESC",
                        "SELECT customer_item_list_id, customer_id FROM customer_item_list WHERE type = wishlist AND "
                        + "customer_id = ? AND visitor_id IS ? UNION SELECT customer_item_list_id, customer_id FROM "
                        + "customer_item_list WHERE type = wishlist AND customer_id IS ? AND visitor_id = ? ORDER "
                        + "BY customer_id DESC"),
                Arguments.of("update Orders set created = \"2019-05-24 00:26:17\", gross = 30.28, payment_type = "
                        + "\"eventbrite\", mg_fee = \"3.28\", fee_collected = \"3.28\", event = 59366262, status = "
                        + "\"10\", survey_type = 'direct', tx_time_limit = 480, invite = \"\", ip_address = "
                        + "\"69.215.148.82\", currency = 'USD', gross_USD = \"30.28\", tax_USD = 0.00, "
                        + "journal_activity_id = 4044659812798558774, eb_tax = 0.00, eb_tax_USD = 0.00, cart_uuid = "
                        + "\"160b450e7df511e9810e0a0c06de92f8\", changed = '2019-05-24 00:26:17' where id = ?",
                        "update Orders set created = ? gross = ? payment_type = ? mg_fee = ? fee_collected = ? event "
                        + "= ? status = ? survey_type = ? tx_time_limit = ? invite = ? ip_address = ? currency = ? "
                        + "gross_USD = ? tax_USD = ? journal_activity_id = ? eb_tax = ? eb_tax_USD = ? cart_uuid = ? "
                        + "changed = ? where id = ?"),
                Arguments.of("update Attendees set email = '626837270@qq.com', first_name = "
                        + "\"贺新春送猪福加企鹅1054948000领98綵斤\", last_name = '王子198442com体验猪多优惠', "
                        + "journal_activity_id = 4246684839261125564, changed = \"2019-05-24 00:26:22\" where id = "
                        + "123",
                        "update Attendees set email = ? first_name = ? last_name = ? journal_activity_id = ? "
                        + "changed = ? where id = ?"),
                Arguments.of("SELECT\r\n\t                CodiFormacio\r\n\t                ,DataInici\r\n\t"
                        + "                ,DataFi\r\n\t                ,Tipo\r\n\t                "
                        + ",CodiTecnicFormador\r\n\t                ,p.nombre AS TutorNombre\r\n\t                "
                        + ",p.mail AS TutorMail\r\n\t                ,Sessions.Direccio\r\n\t                "
                        + ",Sessions.NomEmpresa\r\n\t                ,Sessions.Telefon\r\n                FROM\r\n"
                        + "                ----------------------------\r\n                (SELECT\r\n\t"
                        + "                CodiFormacio\r\n\t                ,case\r\n\t                   when "
                        + "ModalitatSessio = '1' then 'Presencial'--Teoria\r\n\t                   when "
                        + "ModalitatSessio = '2' then 'Presencial'--Practica\r\n\t                   when "
                        + "ModalitatSessio = '3' then 'Online'--Tutoria\r\n                       when "
                        + "ModalitatSessio = '4' then 'Presencial'--Examen\r\n\t                   ELSE "
                        + "'Presencial'\r\n\t                end as Tipo\r\n\t                ,ModalitatSessio\r\n\t"
                        + "                ,DataInici\r\n\t                ,DataFi\r\n                     "
                        + ",NomEmpresa\r\n\t                ,Telefon\r\n\t                ,CodiTecnicFormador\r\n\t"
                        + "                ,CASE\r\n\t                   WHEn EsAltres = 1 then "
                        + "FormacioLlocImparticioDescripcio\r\n\t                   else Adreca + ' - ' + "
                        + "CodiPostal + ' ' + Poblacio\r\n\t                end as Direccio\r\n\t\r\n"
                        + "                FROM Consultas.dbo.View_AsActiva__FormacioSessions_InfoLlocImparticio) "
                        + "AS Sessions\r\n                ----------------------------------------\r\n"
                        + "                LEFT JOIN Consultas.dbo.View_AsActiva_Operari AS o\r\n\t"
                        + "                ON o.CodiOperari = Sessions.CodiTecnicFormador\r\n                LEFT "
                        + "JOIN MainAPP.dbo.persona AS p\r\n\t                ON 'preven\\' + o.codioperari = "
                        + "p.codi\r\n                WHERE Sessions.CodiFormacio = 'F00000017898'",
                        "SELECT CodiFormacio, DataInici, DataFi, Tipo, CodiTecnicFormador, p.nombre, p.mail, "
                        + "Sessions.Direccio, Sessions.NomEmpresa, Sessions.Telefon FROM ( SELECT CodiFormacio, "
                        + "case when ModalitatSessio = ? then ? when ModalitatSessio = ? then ? when "
                        + "ModalitatSessio = ? then ? when ModalitatSessio = ? then ? ELSE ? end, ModalitatSessio, "
                        + "DataInici, DataFi, NomEmpresa, Telefon, CodiTecnicFormador, CASE WHEn EsAltres = ? then "
                        + "FormacioLlocImparticioDescripcio else Adreca + ? + CodiPostal + ? + Poblacio end FROM "
                        + "Consultas.dbo.View_AsActiva__FormacioSessions_InfoLlocImparticio ) LEFT JOIN "
                        + "Consultas.dbo.View_AsActiva_Operari ON o.CodiOperari = Sessions.CodiTecnicFormador LEFT "
                        + "JOIN MainAPP.dbo.persona ON ? + o.codioperari = p.codi WHERE Sessions.CodiFormacio = ?"),
                Arguments.of("SELECT * FROM foo LEFT JOIN bar ON 'backslash\\' = foo.b WHERE foo.name = 'String'",
                        "SELECT * FROM foo LEFT JOIN bar ON ? = foo.b WHERE foo.name = ?"),
                Arguments.of("SELECT * FROM foo LEFT JOIN bar ON 'backslash\\' = foo.b LEFT JOIN bar2 ON "
                        + "'backslash2\\' = foo.b2 WHERE foo.name = 'String'",
                        "SELECT * FROM foo LEFT JOIN bar ON ? = foo.b LEFT JOIN bar2 ON ? = foo.b2 WHERE foo.name "
                        + "= ?"),
                Arguments.of("SELECT * FROM foo LEFT JOIN bar ON 'embedded ''quote'' in string' = foo.b WHERE "
                        + "foo.name = 'String'", "SELECT * FROM foo LEFT JOIN bar ON ? = foo.b WHERE foo.name = ?"),
                Arguments.of("SELECT * FROM foo LEFT JOIN bar ON 'embedded \\'quote\\' in string' = foo.b WHERE "
                        + "foo.name = 'String'", "SELECT * FROM foo LEFT JOIN bar ON ? = foo.b WHERE foo.name = ?"),
                Arguments.of("SELECT org_id,metric_key,metric_type,interval FROM metrics_metadata WHERE org_id = ? "
                        + "AND metric_key = ANY(ARRAY[?,?,?,?,?])",
                        "SELECT org_id, metric_key, metric_type, interval FROM metrics_metadata WHERE org_id = ? "
                        + "AND metric_key = ANY ( ARRAY [ ? ] )"),
                Arguments.of("SELECT wp_woocommerce_order_items.order_id As No_Commande\n\t\t\tFROM  "
                        + "wp_woocommerce_order_items\n\t\t\tLEFT JOIN\n\t\t\t\t(\n\t\t\t\t\tSELECT meta_value As "
                        + "Prenom\n\t\t\t\t\tFROM wp_postmeta\n\t\t\t\t\tWHERE meta_key = '_shipping_first_name'\n"
                        + "\t\t\t\t) AS a\n\t\t\tON wp_woocommerce_order_items.order_id = a.post_id\n\t\t\tWHERE  "
                        + "wp_woocommerce_order_items.order_id =2198",
                        "SELECT wp_woocommerce_order_items.order_id FROM wp_woocommerce_order_items LEFT JOIN ( "
                        + "SELECT meta_value FROM wp_postmeta WHERE meta_key = ? ) ON "
                        + "wp_woocommerce_order_items.order_id = a.post_id WHERE wp_woocommerce_order_items.order_id "
                        + "= ?"),
                Arguments.of("SELECT a :: VARCHAR(255) FROM foo WHERE foo.name = 'String'",
                        "SELECT a :: VARCHAR ( ? ) FROM foo WHERE foo.name = ?"),
                Arguments.of("{call px_cu_se_security_pg.sps_get_my_accounts_count(?, ?, ?, ?)}",
                        "{ call px_cu_se_security_pg.sps_get_my_accounts_count ( ? ) }"),
                Arguments.of("{call px_cu_se_security_pg.sps_get_my_accounts_count(1, 2, 'one', 'two')};",
                        "{ call px_cu_se_security_pg.sps_get_my_accounts_count ( ? ) }"),
                Arguments.of("{call curly_fun('{{', '}}', '}', '}')};", "{ call curly_fun ( ? ) }"),
                Arguments.of("SELECT id, name FROM emp WHERE name LIKE {fn UCASE('Smith')}",
                        "SELECT id, name FROM emp WHERE name LIKE ?"),
                Arguments.of("select users.custom #- '{a,b}' from users", "select users.custom"),
                Arguments.of("select users.custom #> '{a,b}' from users", "select users.custom"),
                Arguments.of("select users.custom #>> '{a,b}' from users", "select users.custom"),
                Arguments.of("SELECT a FROM foo WHERE value<@name", "SELECT a FROM foo WHERE value < @name"),
                Arguments.of("SELECT @@foo", "SELECT @@foo"),
                Arguments.of("DROP TABLE IF EXISTS django_site;\nDROP TABLE IF EXISTS knowledgebase_article;\n\n"
                        + "CREATE TABLE django_site (\n    id integer PRIMARY KEY,\n    domain character "
                        + "varying(100) NOT NULL,\n    name character varying(50) NOT NULL,\n    uuid uuid NOT NULL,\n"
                        + "    disabled boolean DEFAULT false NOT NULL\n);\n\nCREATE TABLE knowledgebase_article (\n"
                        + "    id integer PRIMARY KEY,\n    title character varying(255) NOT NULL,\n    site_id "
                        + "integer NOT NULL,\n    CONSTRAINT knowledgebase_article_site_id_fkey FOREIGN KEY "
                        + "(site_id) REFERENCES django_site(id)\n);\n\nINSERT INTO django_site(id, domain, name, "
                        + "uuid, disabled) VALUES (1, 'foo.domain', 'Foo', 'cb4776c1-edf3-4041-96a8-e152f5ae0f91', "
                        + "false);\nINSERT INTO knowledgebase_article(id, title, site_id) VALUES(1, 'title', 1);",
                        "DROP TABLE IF EXISTS django_site DROP TABLE IF EXISTS knowledgebase_article CREATE TABLE "
                        + "django_site ( id integer PRIMARY KEY, domain character varying ( ? ) NOT ? name character "
                        + "varying ( ? ) NOT ? uuid uuid NOT ? disabled boolean DEFAULT ? NOT ? ) CREATE TABLE "
                        + "knowledgebase_article ( id integer PRIMARY KEY, title character varying ( ? ) NOT ? "
                        + "site_id integer NOT ? CONSTRAINT knowledgebase_article_site_id_fkey FOREIGN KEY ( site_id "
                        + ") REFERENCES django_site ( id ) ) INSERT INTO django_site ( id, domain, name, uuid, "
                        + "disabled ) VALUES ( ? ) INSERT INTO knowledgebase_article ( id, title, site_id ) VALUES ( "
                        + "? )"),
                Arguments.of("\nSELECT set_config('foo.bar', (SELECT foo.bar FROM sometable WHERE sometable.uuid = "
                        + "%(some_id)s)::text, FALSE);\nSELECT\n    othertable.id,\n    othertable.title\nFROM "
                        + "othertable\nINNER JOIN sometable ON sometable.id = othertable.site_id\nWHERE\n    "
                        + "sometable.uuid = %(some_id)s\nLIMIT 1\n;",
                        "SELECT set_config ( ? ( SELECT foo.bar FROM sometable WHERE sometable.uuid = ? ) :: text, "
                        + "? ) SELECT othertable.id, othertable.title FROM othertable INNER JOIN sometable ON "
                        + "sometable.id = othertable.site_id WHERE sometable.uuid = ? LIMIT ?"),
                Arguments.of("CREATE OR REPLACE FUNCTION pg_temp.sequelize_upsert(OUT created boolean, OUT "
                        + "primary_key text) AS $func$ BEGIN INSERT INTO \"school\" (\"id\",\"organization_id\","
                        + "\"name\",\"created_at\",\"updated_at\") VALUES ('dc4e9444-d7c9-40a9-bcef-68e4cc594e61',"
                        + "'ec647f56-f27a-49a1-84af-021ad0a19f21','Test','2021-03-31 16:30:43.915 +00:00',"
                        + "'2021-03-31 16:30:43.915 +00:00'); created := true; EXCEPTION WHEN unique_violation THEN "
                        + "UPDATE \"school\" SET \"id\"='dc4e9444-d7c9-40a9-bcef-68e4cc594e61',\"organization_id\"="
                        + "'ec647f56-f27a-49a1-84af-021ad0a19f21',\"name\"='Test',\"updated_at\"='2021-03-31 "
                        + "16:30:43.915 +00:00' WHERE (\"id\" = 'dc4e9444-d7c9-40a9-bcef-68e4cc594e61'); created := "
                        + "false; END; $func$ LANGUAGE plpgsql; SELECT * FROM pg_temp.sequelize_upsert();",
                        "CREATE OR REPLACE FUNCTION pg_temp.sequelize_upsert ( OUT created boolean, OUT primary_key "
                        + "text ) LANGUAGE plpgsql SELECT * FROM pg_temp.sequelize_upsert ( )"),
                Arguments.of("INSERT INTO table (field1, field2) VALUES (1, $$someone's string123$with other "
                        + "things$$)", "INSERT INTO table ( field1, field2 ) VALUES ( ? )"),
                Arguments.of("INSERT INTO table (field1) VALUES ($some tag$this text confuses$some other text$some "
                        + "ta not quite$some tag$)", "INSERT INTO table ( field1 ) VALUES ( ? )"),
                Arguments.of("INSERT INTO table (field1) VALUES ($tag$random \\wqejks \"sadads' text$tag$)",
                        "INSERT INTO table ( field1 ) VALUES ( ? )"),
                Arguments.of("SELECT nspname FROM pg_class where nspname !~ '.*toIgnore.*'",
                        "SELECT nspname FROM pg_class where nspname !~ ?"),
                Arguments.of("SELECT nspname FROM pg_class where nspname !~* '.*toIgnoreInsensitive.*'",
                        "SELECT nspname FROM pg_class where nspname !~* ?"),
                Arguments.of("SELECT nspname FROM pg_class where nspname ~ '.*matching.*'",
                        "SELECT nspname FROM pg_class where nspname ~ ?"),
                Arguments.of("SELECT nspname FROM pg_class where nspname ~* '.*matchingInsensitive.*'",
                        "SELECT nspname FROM pg_class where nspname ~* ?"),
                Arguments.of("SELECT * FROM dbo.Items WHERE id = 1 or /*!obfuscation*/ 1 = 1",
                        "SELECT * FROM dbo.Items WHERE id = ? or ? = ?"),
                Arguments.of("SELECT * FROM Items WHERE id = -1 OR id = -01 OR id = -108 OR id = -.018 OR id = -.08 "
                        + "OR id = -908129",
                        "SELECT * FROM Items WHERE id = ? OR id = ? OR id = ? OR id = ? OR id = ? OR id = ?"),
                Arguments.of("USING $09 SELECT", "USING ? SELECT"),
                Arguments.of("USING - SELECT", "USING - SELECT"));
    }

    static Stream<Arguments> cassandraCases() {
        return Stream.of(
                Arguments.of("select key, status, modified from org_check_run where org_id = %s and check in (%s,%s,"
                        + "%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                        "select key, status, modified from org_check_run where org_id = ? and check in ( ? )"),
                Arguments.of("select key, status, modified from org_check_run where org_id = %s and check in (%s, "
                        + "%s, %s)",
                        "select key, status, modified from org_check_run where org_id = ? and check in ( ? )"),
                Arguments.of("select key, status, modified from org_check_run where org_id = %s and check in (%s , "
                        + "%s , %s )",
                        "select key, status, modified from org_check_run where org_id = ? and check in ( ? )"),
                Arguments.of("select key, status, modified from org_check_run where org_id = %s and check = %s",
                        "select key, status, modified from org_check_run where org_id = ? and check = ?"),
                Arguments.of("SELECT timestamp, processes FROM process_snapshot.minutely WHERE org_id = ? AND host = "
                        + "? AND timestamp >= ? AND timestamp <= ?",
                        "SELECT timestamp, processes FROM process_snapshot.minutely WHERE org_id = ? AND host = ? "
                        + "AND timestamp >= ? AND timestamp <= ?"),
                Arguments.of("SELECT count(*) AS totcount FROM (SELECT \"c1\", \"c2\",\"c3\",\"c4\",\"c5\",\"c6\","
                        + "\"c7\",\"c8\", \"c9\", \"c10\",\"c11\",\"c12\",\"c13\",\"c14\", \"c15\",\"c16\",\"c17\","
                        + "\"c18\", \"c19\",\"c20\",\"c21\",\"c22\",\"c23\", \"c24\",\"c25\",\"c26\", \"c27\" FROM "
                        + "(SELECT bar.y AS \"c2\", foo.x AS \"c3\", foo.z AS \"c4\", DECODE(foo.a, NULL,NULL, "
                        + "foo.a ||?|| foo.b) AS \"c5\" , foo.c AS \"c6\", bar.d AS \"c1\", bar.e AS \"c7\", bar.f "
                        + "AS \"c8\", bar.g AS \"c9\", TO_DATE(TO_CHAR(TO_DATE(bar.h,?),?),?) AS \"c10\", "
                        + "TO_DATE(TO_CHAR(TO_DATE(bar.i,?),?),?) AS \"c11\", CASE WHEN DECODE(bar.j, NULL, "
                        + "TRUNC(SYSDATE) - TRUNC(TO_DATE(bar.h,?))) > ? THEN ? ELSE NULL END AS \"c12\", bar.k AS "
                        + "\"c14\", bar.l ||?||bar.m AS \"c15\", qux.a AS \"c21\", DECODE(bar.c , ?,?,?, ?, bar.c ) "
                        + "AS \"c26\", bar.y AS y, bar.d, bar.d AS \"c27\" FROM blort.bar , ( SELECT * FROM (SELECT "
                        + "a,a,l,m,b,c, RANK() OVER (PARTITION BY c ORDER BY b DESC) RNK FROM blort.d WHERE y IN "
                        + "(:p)) WHERE RNK = ?) qux, blort.foo WHERE bar.c = qux.c(+) AND bar.x = foo.x AND bar.y IN "
                        + "(:p) and bar.x IN (:x)) )",
                        "SELECT count ( * ) FROM ( SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, "
                        + "c14, c15, c16, c17, c18, c19, c20, c21, c22, c23, c24, c25, c26, c27 FROM ( SELECT bar.y, "
                        + "foo.x, foo.z, DECODE ( foo.a, ? foo.a | | ? | | foo.b ), foo.c, bar.d, bar.e, bar.f, "
                        + "bar.g, TO_DATE ( TO_CHAR ( TO_DATE ( bar.h, ? ) ) ), TO_DATE ( TO_CHAR ( TO_DATE ( bar.i, "
                        + "? ) ) ), CASE WHEN DECODE ( bar.j, ? TRUNC ( SYSDATE ) - TRUNC ( TO_DATE ( bar.h, ? ) ) ) "
                        + "> ? THEN ? ELSE ? END, bar.k, bar.l | | ? | | bar.m, qux.a, DECODE ( bar.c, ? bar.c ), "
                        + "bar.y, bar.d, bar.d FROM blort.bar, ( SELECT * FROM ( SELECT a, a, l, m, b, c, RANK ( ) "
                        + "OVER ( PARTITION BY c ORDER BY b DESC ) RNK FROM blort.d WHERE y IN ( :p ) ) WHERE RNK = "
                        + "? ) qux, blort.foo WHERE bar.c = qux.c ( + ) AND bar.x = foo.x AND bar.y IN ( :p ) and "
                        + "bar.x IN ( :x ) ) )"));
    }
}
