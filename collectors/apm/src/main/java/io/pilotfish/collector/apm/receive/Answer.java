package io.pilotfish.collector.apm.receive;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/** An answer, or one still to come from the intake (proxies). */
record Answer(int status, String contentType, byte[] body, Map<String, String> headers, boolean close,
              CompletionStage<Answer> pending) {

    static Answer text(int status, String message) {
        return new Answer(status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8),
                Map.of(), false, null);
    }

    static Answer pending(CompletionStage<Answer> later) {
        return new Answer(0, null, new byte[0], Map.of(), false, later);
    }

    Answer closing() {
        return new Answer(status, contentType, body, headers, true, pending);
    }
}
