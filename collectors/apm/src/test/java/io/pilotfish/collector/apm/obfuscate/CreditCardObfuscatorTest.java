package io.pilotfish.collector.apm.obfuscate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pilotfish.collector.apm.obfuscate.ObfuscationConfig.CreditCardSettings;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The Agent's {@code credit_cards_test.go} tables, and the Memcached rule ({@code memcached_test.go}). */
class CreditCardObfuscatorTest {

    /** {@code TestIINValidCardPrefix}. */
    @ParameterizedTest
    @CsvSource({"1,2", "4,2", "2,1", "3,1", "5,1", "6,1", "7,0", "8,0", "9,0", "34,2", "37,2", "39,2", "51,2", "55,2",
            "62,2", "65,2", "30,1", "63,1", "22,1", "27,1", "69,1", "31,0", "29,0", "21,0", "300,2", "305,2", "644,2",
            "649,2", "309,2", "636,2", "352,1", "358,1", "501,1", "601,1", "222,1", "272,1", "500,1", "509,1", "560,1",
            "589,1", "600,1", "699,1", "3528,2", "3589,2", "5019,2", "6011,2", "2221,1", "2720,1", "5000,1", "5099,1",
            "5600,1", "5899,1", "6000,1", "6999,1", "22210,1", "27209,1", "50000,1", "50999,1", "56000,1", "58999,1",
            "60000,1", "69999,1", "21000,0", "55555,0", "222100,2", "272099,2", "500000,2", "509999,2", "560000,2",
            "589999,2", "600000,2", "699999,2", "551234,0", "594388,0", "219899,0"})
    void knowsTheIssuerPrefixes(int prefix, int verdict) {
        assertEquals(verdict, CreditCardObfuscator.prefixVerdict(prefix));
    }

    /** {@code TestIINIsSensitive/valid}, with Luhn. */
    @ParameterizedTest
    @ValueSource(strings = {"378282246310005", "  378282246310005", "  3782-8224-6310-005 ", "371449635398431",
            "378734493671000", "5610591081018250", "30569309025904", "38520000023237", "6011 1111 1111 1117",
            "6011000990139424", " 3530111333--300000  ", "3566002020360505", "5555555555554444",
            "5105-1051-0510-5100", " 4111111111111111", "4012888888881881 ", "422222 2222222", "5019717010103742",
            "6331101999990016", " 4242-4242-4242-4242 ", "4000056655665556", "2223003122003222", "5200828282828210",
            "5105105105105100", "6011111111111117", "3056930009020004", "620000000000000", "2222 4053 4324 8877",
            "2223 0076 4872 6984", "5111 0100 3017 5156", "5455 3307 6000 0018", "5506 9274 2731 7625",
            "3714 496353 98431", "3056 9309 0259 04", "3700 0000 0100 018", "6703 4444 4444 4449",
            "6243 0300 0000 0001", "3607 0500 0010 20", "6445 6445 6445 6445", "6062 8288 8866 6688",
            "6771 7980 2100 0008", "5577 0000 5577 0004", "2223 5204 4356 0010", "1354 1001 4004 955",
            "4988 4388 4388 4305", "4646 4646 4646 4644", "4293 1891 0000 0008", "4977 9494 9494 9497",
            "4571 0000 0000 0001", "4001 0200 0000 0009"})
    void recognisesCardNumbersWithLuhn(String card) {
        assertTrue(CreditCardObfuscator.isCardNumber(card, true));
        assertTrue(CreditCardObfuscator.isCardNumber(card, false));
    }

    /** {@code TestIINIsSensitive/invalid}, without Luhn. */
    @ParameterizedTest
    @ValueSource(strings = {"37828224631000521389798", "37828224631", "   3782822-4631 ", "3714djkkkksii31",
            "x371413321323331", "", "7712378231899", "   -  "})
    void rejectsWhatIsNotACardNumber(String text) {
        assertFalse(CreditCardObfuscator.isCardNumber(text, false));
    }

    @ParameterizedTest
    @ValueSource(strings = {"4111111111111112", "5555 5555 5555 4445", "378282246310006"})
    void luhnRejectsAWrongCheckDigit(String card) {
        assertTrue(CreditCardObfuscator.isCardNumber(card, false));
        assertFalse(CreditCardObfuscator.isCardNumber(card, true));
    }

    /** {@code TestCCKeepValues}, and the keys the Agent never scans. */
    @Test
    void scansTagsExceptKnownOnesAndKeepValues() {
        CreditCardObfuscator obfuscator = new CreditCardObfuscator(new CreditCardSettings(true, false,
                Set.of("skip_me")));
        String card = "378282246310005";
        assertFalse(obfuscator.shouldScan("skip_me"));
        assertTrue(obfuscator.shouldScan("obfuscate_me"));
        assertEquals("?", obfuscator.obfuscate(card));
        for (String key : new String[] {"http.status_code", "error.stack", "_dd.p.tid", "_anything", "version",
                "databricks_job_id", "sql.query"}) {
            assertFalse(obfuscator.shouldScan(key), key);
        }
        String text = "not a card";
        assertSame(text, obfuscator.obfuscate(text));
    }

    /** {@code TestObfuscateMemcachedKeepCommand}. */
    @Test
    void keepsOnlyTheMemcachedCommandLine() {
        assertEquals("set mykey 0 60 5", MemcachedObfuscator.obfuscate("set mykey 0 60 5\r\nvalue", true));
        assertEquals("get mykey", MemcachedObfuscator.obfuscate("get mykey", true));
        assertEquals("add newkey 0 60 5", MemcachedObfuscator.obfuscate("add newkey 0 60 5\r\nvalue", true));
        assertEquals("decr mykey 5", MemcachedObfuscator.obfuscate("decr mykey 5", true));
        assertEquals("", MemcachedObfuscator.obfuscate("set mykey 0 60 5\r\nvalue", false));
        assertEquals("", MemcachedObfuscator.obfuscate("get mykey", false));
        assertEquals("", MemcachedObfuscator.obfuscate("get", false));
        assertEquals("", MemcachedObfuscator.obfuscate("get\r\nvalue", false));
    }
}
