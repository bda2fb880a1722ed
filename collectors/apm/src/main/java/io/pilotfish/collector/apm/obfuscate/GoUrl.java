package io.pilotfish.collector.apm.obfuscate;

import java.nio.charset.StandardCharsets;

/**
 * A URL parsed and written back as Go's {@code net/url} does ({@code Parse} then {@code String}), which is what the
 * Agent's HTTP obfuscation returns: the scheme lower-cased, the path and fragment re-escaped where their escaping was
 * not valid, the user-info dropped when asked. Java's {@code URI} accepts and writes different things, so this is a
 * port of the rules that shape the output.
 *
 * <p>Works on a "byte string": each char holds one byte of the UTF-8 form, as Go strings do, so that escapes of bytes
 * that are not UTF-8 ({@code %FF}) survive a round trip. Every step is a scan or a cut: linear in the URL.
 */
final class GoUrl {

    private static final int ENCODE_PATH = 1;
    private static final int ENCODE_HOST = 3;
    private static final int ENCODE_ZONE = 4;
    private static final int ENCODE_USER_PASSWORD = 5;
    private static final int ENCODE_FRAGMENT = 7;

    String scheme = "";
    String opaque = "";
    boolean hasUser;
    String host = "";
    String path = "";
    String rawPath = "";
    boolean omitHost;
    boolean forceQuery;
    String rawQuery = "";
    String fragment = "";
    String rawFragment = "";

    private GoUrl() {
    }

    /** The UTF-8 bytes of a string, one per char. */
    static String toBytes(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
            }
        }
        return s;
    }

    /** A byte string back to text. */
    static String fromBytes(String bytes) {
        for (int i = 0; i < bytes.length(); i++) {
            if (bytes.charAt(i) >= 0x80) {
                return new String(bytes.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            }
        }
        return bytes;
    }

    /** Go's {@code url.Parse} of a byte string; null where Go returns an error. */
    static GoUrl parse(String raw) {
        int hash = raw.indexOf('#');
        String rest = hash < 0 ? raw : raw.substring(0, hash);
        GoUrl url = parseWithoutFragment(rest);
        if (url == null) {
            return null;
        }
        if (hash >= 0 && hash + 1 < raw.length()) {
            String frag = raw.substring(hash + 1);
            String unescaped = unescape(frag, ENCODE_FRAGMENT);
            if (unescaped == null) {
                return null;
            }
            url.fragment = unescaped;
            url.rawFragment = escape(unescaped, ENCODE_FRAGMENT).equals(frag) ? "" : frag;
        }
        return url;
    }

    private static GoUrl parseWithoutFragment(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < ' ' || c == 0x7f) {
                return null; // invalid control character in URL
            }
        }
        GoUrl url = new GoUrl();
        if (raw.equals("*")) {
            url.path = "*";
            return url;
        }
        String rest = raw;
        int colon = schemeEnd(raw);
        if (colon == 0) {
            return null; // missing protocol scheme
        }
        if (colon > 0) {
            url.scheme = raw.substring(0, colon).toLowerCase(java.util.Locale.ROOT);
            rest = raw.substring(colon + 1);
        }
        int question = rest.indexOf('?');
        if (rest.endsWith("?") && question == rest.length() - 1) {
            url.forceQuery = true;
            rest = rest.substring(0, rest.length() - 1);
        } else if (question >= 0) {
            url.rawQuery = rest.substring(question + 1);
            rest = rest.substring(0, question);
        }
        if (!rest.startsWith("/")) {
            if (!url.scheme.isEmpty()) {
                url.opaque = rest; // a rootless path, e.g. mailto:x@y
                return url;
            }
            int slash = rest.indexOf('/');
            String segment = slash < 0 ? rest : rest.substring(0, slash);
            if (segment.indexOf(':') >= 0) {
                return null; // first path segment in URL cannot contain colon
            }
        }
        if ((!url.scheme.isEmpty() || !rest.startsWith("///")) && rest.startsWith("//")) {
            String authority = rest.substring(2);
            rest = "";
            int slash = authority.indexOf('/');
            if (slash >= 0) {
                rest = authority.substring(slash);
                authority = authority.substring(0, slash);
            }
            if (!url.parseAuthority(authority)) {
                return null;
            }
        } else if (!url.scheme.isEmpty() && rest.startsWith("/")) {
            url.omitHost = true;
        }
        String unescaped = unescape(rest, ENCODE_PATH);
        if (unescaped == null) {
            return null;
        }
        url.path = unescaped;
        url.rawPath = escape(unescaped, ENCODE_PATH).equals(rest) ? "" : rest;
        return url;
    }

    /** The index of the colon ending the scheme; -1 if there is no scheme; 0 if the URL starts with a colon. */
    private static int schemeEnd(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                continue;
            }
            if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
                if (i == 0) {
                    return -1;
                }
                continue;
            }
            return c == ':' ? i : -1;
        }
        return -1;
    }

    private boolean parseAuthority(String authority) {
        int at = authority.lastIndexOf('@');
        String parsedHost = parseHost(at < 0 ? authority : authority.substring(at + 1));
        if (parsedHost == null) {
            return false;
        }
        host = parsedHost;
        if (at < 0) {
            return true;
        }
        String userinfo = authority.substring(0, at);
        if (!validUserinfo(userinfo)) {
            return false;
        }
        hasUser = true;
        int colon = userinfo.indexOf(':');
        if (colon < 0) {
            return unescape(userinfo, ENCODE_USER_PASSWORD) != null;
        }
        return unescape(userinfo.substring(0, colon), ENCODE_USER_PASSWORD) != null
                && unescape(userinfo.substring(colon + 1), ENCODE_USER_PASSWORD) != null;
    }

    private static String parseHost(String host) {
        if (host.startsWith("[")) {
            int close = host.lastIndexOf(']');
            if (close < 0) {
                return null; // missing ']' in host
            }
            if (!validOptionalPort(host.substring(close + 1))) {
                return null;
            }
            int zone = host.substring(0, close).indexOf("%25");
            if (zone >= 0) {
                String host1 = unescape(host.substring(0, zone), ENCODE_HOST);
                String host2 = unescape(host.substring(zone, close), ENCODE_ZONE);
                String host3 = unescape(host.substring(close), ENCODE_HOST);
                return host1 == null || host2 == null || host3 == null ? null : host1 + host2 + host3;
            }
        } else {
            int colon = host.lastIndexOf(':');
            if (colon >= 0 && !validOptionalPort(host.substring(colon))) {
                return null;
            }
        }
        return unescape(host, ENCODE_HOST);
    }

    private static boolean validOptionalPort(String port) {
        if (port.isEmpty()) {
            return true;
        }
        if (port.charAt(0) != ':') {
            return false;
        }
        for (int i = 1; i < port.length(); i++) {
            if (port.charAt(i) < '0' || port.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean validUserinfo(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
                continue;
            }
            if ("-._:~!$&'()*+,;=%@".indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Go's {@code URL.String} with the user-info left out. */
    String format() {
        StringBuilder out = new StringBuilder(path.length() + host.length() + rawQuery.length() + 16);
        if (!scheme.isEmpty()) {
            out.append(scheme).append(':');
        }
        if (!opaque.isEmpty()) {
            out.append(opaque);
        } else {
            if (!scheme.isEmpty() || !host.isEmpty()) {
                if (!(omitHost && host.isEmpty())) {
                    if (!host.isEmpty() || !path.isEmpty()) {
                        out.append("//");
                    }
                    if (!host.isEmpty()) {
                        out.append(escape(host, ENCODE_HOST));
                    }
                }
            }
            String escapedPath = escapedPath();
            if (!escapedPath.isEmpty() && escapedPath.charAt(0) != '/' && !host.isEmpty()) {
                out.append('/');
            }
            if (out.isEmpty()) {
                int slash = escapedPath.indexOf('/');
                String segment = slash < 0 ? escapedPath : escapedPath.substring(0, slash);
                if (segment.indexOf(':') >= 0) {
                    out.append("./");
                }
            }
            out.append(escapedPath);
        }
        if (forceQuery || !rawQuery.isEmpty()) {
            out.append('?').append(rawQuery);
        }
        if (!fragment.isEmpty()) {
            out.append('#').append(escapedFragment());
        }
        return out.toString();
    }

    private String escapedPath() {
        if (!rawPath.isEmpty() && validEncoded(rawPath, ENCODE_PATH) && path.equals(unescape(rawPath, ENCODE_PATH))) {
            return rawPath;
        }
        if (path.equals("*")) {
            return "*";
        }
        return escape(path, ENCODE_PATH);
    }

    private String escapedFragment() {
        if (!rawFragment.isEmpty() && validEncoded(rawFragment, ENCODE_FRAGMENT)
                && fragment.equals(unescape(rawFragment, ENCODE_FRAGMENT))) {
            return rawFragment;
        }
        return escape(fragment, ENCODE_FRAGMENT);
    }

    private static boolean shouldEscape(char c, int mode) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            return false;
        }
        if ((mode == ENCODE_HOST || mode == ENCODE_ZONE) && "!$&'()*+,;=:[]<>\"".indexOf(c) >= 0) {
            return false;
        }
        switch (c) {
            case '-', '_', '.', '~':
                return false;
            case '$', '&', '+', ',', '/', ':', ';', '=', '?', '@':
                switch (mode) {
                    case ENCODE_PATH:
                        return c == '?';
                    case ENCODE_USER_PASSWORD:
                        return c == '@' || c == '/' || c == '?' || c == ':';
                    case ENCODE_FRAGMENT:
                        return false;
                    default:
                        break;
                }
                break;
            default:
                break;
        }
        if (mode == ENCODE_FRAGMENT && (c == '!' || c == '(' || c == ')' || c == '*')) {
            return false;
        }
        return true;
    }

    /** Go's {@code unescape}; null where it returns an error. */
    private static String unescape(String s, int mode) {
        int percents = 0;
        for (int i = 0; i < s.length(); ) {
            char c = s.charAt(i);
            if (c == '%') {
                percents++;
                if (i + 2 >= s.length() || hex(s.charAt(i + 1)) < 0 || hex(s.charAt(i + 2)) < 0) {
                    return null;
                }
                if (mode == ENCODE_HOST && hex(s.charAt(i + 1)) < 8 && !s.startsWith("%25", i)) {
                    return null; // in a host, escapes are for non-ASCII bytes only
                }
                if (mode == ENCODE_ZONE) {
                    char v = (char) (hex(s.charAt(i + 1)) << 4 | hex(s.charAt(i + 2)));
                    if (!s.startsWith("%25", i) && v != ' ' && shouldEscape(v, ENCODE_HOST)) {
                        return null;
                    }
                }
                i += 3;
            } else {
                if ((mode == ENCODE_HOST || mode == ENCODE_ZONE) && c < 0x80 && shouldEscape(c, mode)) {
                    return null; // invalid character in host name
                }
                i++;
            }
        }
        if (percents == 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length() - 2 * percents);
        for (int i = 0; i < s.length(); ) {
            char c = s.charAt(i);
            if (c == '%') {
                out.append((char) (hex(s.charAt(i + 1)) << 4 | hex(s.charAt(i + 2))));
                i += 3;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static String escape(String s, int mode) {
        int count = 0;
        for (int i = 0; i < s.length(); i++) {
            if (shouldEscape(s.charAt(i), mode)) {
                count++;
            }
        }
        if (count == 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length() + 2 * count);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (shouldEscape(c, mode)) {
                out.append('%').append("0123456789ABCDEF".charAt(c >> 4 & 0xF))
                        .append("0123456789ABCDEF".charAt(c & 0xF));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean validEncoded(String s, int mode) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ("!$&'()*+,;=:@[]%".indexOf(c) >= 0) {
                continue;
            }
            if (shouldEscape(c, mode)) {
                return false;
            }
        }
        return true;
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
