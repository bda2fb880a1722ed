package io.pilotfish.testkit;

import java.util.SplittableRandom;

/** Deterministic ids: the same task renders the same DockerIds, ARNs and endpoint ids on every run. */
final class Ids {

    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private final SplittableRandom random;

    Ids(String seed) {
        this.random = new SplittableRandom(seed.hashCode() * 0x9E3779B97F4A7C15L);
    }

    synchronized String hex(int length) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append(HEX[random.nextInt(16)]);
        }
        return out.toString();
    }

    synchronized String digits(int length) {
        StringBuilder out = new StringBuilder(length);
        out.append((char) ('1' + random.nextInt(9)));
        for (int i = 1; i < length; i++) {
            out.append((char) ('0' + random.nextInt(10)));
        }
        return out.toString();
    }

    synchronized int nextInt(int bound) {
        return random.nextInt(bound);
    }

    String uuid() {
        return hex(8) + "-" + hex(4) + "-4" + hex(3) + "-a" + hex(3) + "-" + hex(12);
    }
}
