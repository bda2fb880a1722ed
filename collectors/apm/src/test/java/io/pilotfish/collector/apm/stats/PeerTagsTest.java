package io.pilotfish.collector.apm.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Peer tags as the Agent makes them ({@code TestPeerTagsToAggregateForSpan}, {@code TestQuantizePeerIpAddresses}). */
class PeerTagsTest {

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {"client,true", "producer,true", "CLIENT,true", "PRODUCER,true",
        "cLient,true", "pRoducer,true", "server,false", "consumer,true", "internal,false", "'',false", "null,false"})
    void looksAtPeerTagsOfOutgoingSpanKindsOnly(String kind, boolean all) {
        List<String> keys = List.of("server.addres", "_dd.base_service");
        assertEquals(all ? keys : List.of(), PeerTags.keysFor(kind, "", keys));
    }

    @Test
    void anInternalSpanWithABaseServiceHasOnlyThat() {
        List<String> keys = StatsConfig.defaults("none", "").peerTagKeys();
        assertEquals(List.of("_dd.base_service"), PeerTags.keysFor("internal", "base", keys));
        assertEquals(List.of("_dd.base_service"), PeerTags.keysFor("", "base", keys));
        assertEquals(keys, PeerTags.keysFor("client", "base", keys));
        assertEquals(List.of("_dd.base_service:base"),
                new PeerTags(keys).of(Map.of("_dd.base_service", "base", "peer.service", "x"), ""));
    }

    @Test
    void valuesAreSortedAndAddressesMasked() {
        List<String> keys = StatsConfig.defaults("none", "").peerTagKeys();
        Map<String, String> meta = Map.of("span.kind", "client", "peer.hostname", "10.1.2.3", "out.host",
                "db.example.com", "db.system", "postgres", "db.instance", "", "region", "us1");
        PeerTags peerTags = new PeerTags(keys);
        List<String> expected = List.of("db.system:postgres", "out.host:db.example.com",
                "peer.hostname:blocked-ip-address");
        assertEquals(expected, peerTags.of(meta, "client"));
        assertEquals(expected, peerTags.of(meta, "client"), "the same from its cache");
        Map<String, String> many = new HashMap<>(meta);
        for (int i = 0; i < 60; i++) {
            many.put("tag" + i, "v"); // more tags than keys: the other way round
        }
        assertEquals(expected, peerTags.of(many, "CLIENT"));
        assertEquals(List.of(), new PeerTags(List.of()).of(meta, "client"), "aggregation off");
        assertEquals(List.of(), peerTags.of(meta, "server"));
    }

    @Test
    void theAgentsKeysAreTheSemanticRegistrysPeerConcepts() {
        List<String> keys = StatsConfig.defaults("none", "").peerTagKeys();
        assertEquals(44, keys.size());
        assertTrue(keys.containsAll(List.of("_dd.base_service", "db.system.name", "peer.service", "topicname",
                "messaging.kafka.bootstrap.servers", "network.destination.ip")));
        assertEquals(keys.stream().sorted().toList(), keys);
        List<String> extra = StatsConfig.defaults("none", "")
                .withPeerTagsAggregation(true, List.of("zz_tag", "db.name")).peerTagKeys();
        assertEquals(45, extra.size());
        assertEquals("zz_tag", extra.getLast());
        assertEquals(List.of(), StatsConfig.defaults("none", "").withPeerTagsAggregation(false, List.of("zz"))
                .peerTagKeys());
    }

    static Stream<Arguments> addresses() {
        return Stream.of(
                Arguments.of("127.0.0.1", "127.0.0.1"),
                Arguments.of("::1", "::1"),
                Arguments.of("169.254.169.254", "169.254.169.254"),
                Arguments.of("fd00:ec2::254", "fd00:ec2::254"),
                Arguments.of("169.254.170.2", "169.254.170.2"),
                Arguments.of("", ""),
                Arguments.of("foo.dog", "foo.dog"),
                Arguments.of("192.168.1.1", "blocked-ip-address"),
                Arguments.of("192.168.1.1.foo", "blocked-ip-address.foo"),
                Arguments.of("192.168.1.1.2.3.4.5", "blocked-ip-address.2.3.4.5"),
                Arguments.of("192_168_1_1", "blocked-ip-address"),
                Arguments.of("192-168-1-1", "blocked-ip-address"),
                Arguments.of("192-168-1-1.foo", "blocked-ip-address.foo"),
                Arguments.of("192-168-1-1-foo", "blocked-ip-address-foo"),
                Arguments.of("2001:db8:3333:4444:CCCC:DDDD:EEEE:FFFF", "blocked-ip-address"),
                Arguments.of("2001:db8:3c4d:15::1a2f:1a2b", "blocked-ip-address"),
                Arguments.of("[fe80::1ff:fe23:4567:890a]:8080", "blocked-ip-address:8080"),
                Arguments.of("192.168.1.1:1234", "blocked-ip-address:1234"),
                Arguments.of("dnspoll:///10.21.120.145:6400", "dnspoll:///blocked-ip-address:6400"),
                Arguments.of("dnspoll:///abc.cluster.local:50051", "dnspoll:///abc.cluster.local:50051"),
                Arguments.of("http://10.21.120.145:6400", "http://blocked-ip-address:6400"),
                Arguments.of("https://10.21.120.145:6400", "https://blocked-ip-address:6400"),
                Arguments.of("192.168.1.1:1234,10.23.1.1:53,10.23.1.1,fe80::1ff:fe23:4567:890a,foo.dog",
                        "blocked-ip-address:1234,blocked-ip-address:53,blocked-ip-address,foo.dog"),
                Arguments.of("http://172.24.160.151:8091,172.24.163.33:8091,172.24.164.111:8091,172.24.165.203:8091,"
                        + "172.24.168.235:8091,172.24.170.130:8091",
                        "http://blocked-ip-address:8091,blocked-ip-address:8091"),
                Arguments.of("10-60-160-172.my-service.namespace.svc.abc.cluster.local",
                        "blocked-ip-address.my-service.namespace.svc.abc.cluster.local"),
                Arguments.of("ip-10-152-4-129.ec2.internal", "ip-blocked-ip-address.ec2.internal"),
                Arguments.of("1-foo", "1-foo"),
                Arguments.of("1-2-foo", "1-2-foo"),
                Arguments.of("1-2-3-foo", "1-2-3-foo"),
                Arguments.of("1-2-3-999", "1-2-3-999"),
                Arguments.of("1-2-999-foo", "1-2-999-foo"),
                Arguments.of("1-2-3-999-foo", "1-2-3-999-foo"),
                Arguments.of("1-2-3-4-foo", "blocked-ip-address-foo"),
                Arguments.of("7-55-2-app.agent.datadoghq.com", "7-55-2-app.agent.datadoghq.com"),
                // more edges, checked against the Agent's obfuscate.QuantizePeerIPAddresses
                Arguments.of("1::2:3:4:5:6:7:8", "1::2:3:4:5:6:7:8"),
                Arguments.of("::1.2.3.4", "blocked-ip-address"),
                Arguments.of("1:2:3:4:5:6:1.2.3.4", "blocked-ip-address"),
                Arguments.of("1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4"),
                Arguments.of("foo-http://1.2.3.4", "http://blocked-ip-address"),
                Arguments.of("01.2.3.4", "01.2.3.4"),
                Arguments.of("::ffff:10.0.0.1", "blocked-ip-address"),
                Arguments.of("fe80::1%eth0", "blocked-ip-address"),
                Arguments.of("fe80::1%", "fe80::1%"),
                Arguments.of("1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8:9"),
                Arguments.of("12345::1", "12345::1"),
                Arguments.of("cafe", "cafe"));
    }

    @ParameterizedTest
    @MethodSource
    void addresses(String raw, String expected) {
        assertEquals(expected, PeerAddresses.quantize(raw));
    }
}
