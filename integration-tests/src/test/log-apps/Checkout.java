/**
 * A JVM app's output for LogProcessingIT: a few ordinary lines on stdout (one with a card number, a health check, a
 * JSON line with trace correlation as the tracers' log injection writes it, a JSON line of 72 KB that a log driver
 * cuts into pieces of 16 KiB, one cut inside a character), then an uncaught exception with a cause,
 * whose stack trace the JVM writes to stderr line by line. The trace ids hold no run of digits that the card pattern of
 * Datadog's documentation takes for a card: that pattern has no word boundaries, so (in the Agent as here) it masks
 * card-like runs inside longer numbers too.
 */
public class Checkout {
    public static void main(String[] args) {
        System.out.println("checkout started for order 7");
        System.out.println("GET /health 200 0.4ms");
        System.out.println("charging card 4111111111111111 for 12.50 EUR");
        System.out.println("{\"level\":\"WARN\",\"message\":\"payment slow\",\"dd.trace_id\":\"1970180917108719801\","
                + "\"dd.span_id\":\"7109819701810979101\",\"duration_ms\":812}");
        StringBuilder cart = new StringBuilder("{\"level\":\"INFO\",\"message\":\"cart snapshot\",\"items\":[");
        for (int i = 1; i <= 1500; i++) {
            cart.append(i > 1 ? "," : "").append("{\"sku\":\"sku-").append(String.format("%05d", i))
                    .append("\",\"name\":\"緑茶 ").append(i).append("\",\"qty\":").append(i % 7 + 1).append('}');
        }
        System.out.println(cart.append("]}"));
        System.out.flush();
        new Checkout().charge();
    }

    void charge() {
        try {
            gateway();
        } catch (IllegalStateException e) {
            throw new RuntimeException("order 7 could not be charged", e);
        }
    }

    void gateway() {
        throw new IllegalStateException("gateway timeout after 30s");
    }
}
