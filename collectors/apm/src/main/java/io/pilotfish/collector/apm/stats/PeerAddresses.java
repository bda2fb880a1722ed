package io.pilotfish.collector.apm.stats;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Masks IP addresses in peer tag values as the Agent does ({@code obfuscate.QuantizePeerIPAddresses}), so that a
 * client talking to a thousand pod IPs makes one group, not a thousand: each comma-separated entry that is an IP
 * address (v4 with {@code .}, {@code -} or {@code _} between its numbers, or v6), optionally after a scheme or an
 * {@code ip-} prefix and with a port, becomes {@code blocked-ip-address} (prefix, port and any text after a v4 address
 * kept); loopback and the cloud metadata addresses are kept; duplicate entries are then merged.
 */
final class PeerAddresses {

    static final String BLOCKED = "blocked-ip-address";

    private static final String[] SCHEMES = {"dnspoll", "ftp", "file", "http", "https"};
    private static final Set<String> ALLOWED = Set.of("127.0.0.1", "::1", "169.254.169.254", "fd00:ec2::254",
            "169.254.170.2");

    private PeerAddresses() {
    }

    static String quantize(String raw) {
        if (raw.indexOf(',') < 0) {
            return quantizeOne(raw);
        }
        Set<String> unique = new LinkedHashSet<>();
        int start = 0;
        while (true) {
            int comma = raw.indexOf(',', start);
            unique.add(quantizeOne(comma < 0 ? raw.substring(start) : raw.substring(start, comma)));
            if (comma < 0) {
                break;
            }
            start = comma + 1;
        }
        return String.join(",", unique);
    }

    /** One entry: the address masked, or the entry itself when it holds none. */
    static String quantizeOne(String raw) {
        String prefix = "";
        String rest = raw;
        if (raw.startsWith("ip-")) { // EC2 host names: ip-10-1-2-3.ec2.internal
            prefix = "ip-";
            rest = raw.substring(3);
        } else {
            for (String scheme : SCHEMES) {
                int at = raw.indexOf(scheme);
                if (at < 0) {
                    continue;
                }
                int after = at + scheme.length();
                if (after + 4 < raw.length() + 0 && raw.startsWith(":///", after)) {
                    prefix = raw.substring(at, after + 4);
                    rest = raw.substring(after + 4);
                    break;
                }
                if (after + 3 < raw.length() && raw.startsWith("://", after)) {
                    prefix = raw.substring(at, after + 3);
                    rest = raw.substring(after + 3);
                    break;
                }
            }
        }
        // Host and port, when the entry splits as host:port.
        String host = rest;
        String port = "";
        String[] split = splitHostPort(rest);
        if (split != null) {
            host = split[0];
            port = split[1];
        }
        int end = ipEnd(host);
        if (end < 0) {
            return raw;
        }
        String address = host.substring(0, end);
        if (ALLOWED.contains(address)) {
            return raw;
        }
        String replacement = prefix + BLOCKED;
        if (split != null && !port.isEmpty()) {
            replacement = replacement + ':' + port;
        }
        return replacement + host.substring(end);
    }

    /**
     * Where the IP address at the start of {@code s} ends: after a whole IPv6 address, or after the fourth number of
     * an IPv4 one (text may follow); -1 when {@code s} does not start with one.
     */
    static int ipEnd(String s) {
        if (s.isEmpty()) {
            return -1;
        }
        char first = s.charAt(0);
        if (!(isHexDigit(first) || first == ':')) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '.', '_', '-' -> {
                    return ipv4End(s, c);
                }
                case ':' -> {
                    return isIPv6(s) ? s.length() : -1;
                }
                case '%' -> {
                    return -1; // a zone with no address before it
                }
                default -> {
                }
            }
        }
        return -1;
    }

    /** An IPv4 address with {@code sep} between its numbers, text allowed after its fourth: where it ends, or -1. */
    private static int ipv4End(String s, char sep) {
        int fields = 0;
        int value = 0;
        int digits = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                if (digits == 1 && value == 0) {
                    return -1; // leading zero
                }
                value = value * 10 + (c - '0');
                digits++;
                if (value > 255) {
                    return -1;
                }
            } else if (c == sep) {
                if (i == 0 || i == s.length() - 1 || s.charAt(i - 1) == sep) {
                    return -1;
                }
                if (fields == 3) {
                    return i; // 1.2.3.4.5: the address is 1.2.3.4
                }
                fields++;
                value = 0;
                digits = 0;
            } else {
                if (fields == 3 && digits > 0) {
                    return i;
                }
                return -1;
            }
        }
        return fields < 3 ? -1 : s.length();
    }

    /** Go's {@code netip.ParseAddr} for a string with a colon: an IPv6 address, optionally with a zone. */
    static boolean isIPv6(String s) {
        int percent = s.indexOf('%');
        if (percent >= 0) {
            if (percent == s.length() - 1) {
                return false; // an empty zone
            }
            s = s.substring(0, percent);
        }
        int n = s.length();
        int groups = 0;
        boolean ellipsis = false;
        int i = 0;
        if (s.startsWith("::")) {
            ellipsis = true;
            i = 2;
            if (i == n) {
                return true;
            }
        }
        while (i < n) {
            int start = i;
            while (i < n && i - start < 5 && isHexDigit(s.charAt(i))) {
                i++;
            }
            int length = i - start;
            if (length == 0 || length > 4) {
                return false;
            }
            if (i < n && s.charAt(i) == '.') {
                // An embedded IPv4 address replaces the last two groups.
                if ((!ellipsis && groups != 6) || groups + 2 > 8) {
                    return false;
                }
                if (!isStrictIPv4(s.substring(start))) {
                    return false;
                }
                groups += 2;
                i = n;
                break;
            }
            groups++;
            if (i == n) {
                break;
            }
            if (s.charAt(i) != ':' || groups == 8) {
                return false;
            }
            i++;
            if (i < n && s.charAt(i) == ':') {
                if (ellipsis) {
                    return false;
                }
                ellipsis = true;
                i++;
            } else if (i == n) {
                return false; // a trailing single colon
            }
        }
        return ellipsis ? groups < 8 : groups == 8;
    }

    /** Four decimal numbers up to 255 separated by dots, no leading zeros, nothing else. */
    private static boolean isStrictIPv4(String s) {
        int fields = 0;
        int value = 0;
        int digits = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                if (digits == 1 && value == 0) {
                    return false;
                }
                value = value * 10 + (c - '0');
                digits++;
                if (value > 255) {
                    return false;
                }
            } else if (c == '.' && digits > 0 && fields < 3) {
                fields++;
                value = 0;
                digits = 0;
            } else {
                return false;
            }
        }
        return fields == 3 && digits > 0;
    }

    /** Go's {@code net.SplitHostPort} without errors: {host, port}, or null when it does not split. */
    static String[] splitHostPort(String hostport) {
        int colon = hostport.lastIndexOf(':');
        if (colon < 0) {
            return null;
        }
        String host;
        int noOpenFrom = 0;
        int noCloseFrom = 0;
        if (hostport.charAt(0) == '[') {
            int end = hostport.indexOf(']');
            if (end < 0 || end + 1 != colon) {
                return null;
            }
            host = hostport.substring(1, end);
            noOpenFrom = 1;
            noCloseFrom = end + 1;
        } else {
            host = hostport.substring(0, colon);
            if (host.indexOf(':') >= 0) {
                return null;
            }
        }
        if (hostport.indexOf('[', noOpenFrom) >= 0 || hostport.indexOf(']', noCloseFrom) >= 0) {
            return null;
        }
        return new String[] {host, hostport.substring(colon + 1)};
    }

    private static boolean isHexDigit(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
