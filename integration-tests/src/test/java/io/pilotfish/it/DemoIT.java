package io.pilotfish.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code pilotfish demo} as a user runs it, the packaged agent in its own process: what it prints on stdout must show
 * what Datadog would receive, with the tags it would index, and nothing that needs explaining away.
 */
class DemoIT {

    /** The demo runs 25 s; starting the JVM and the final flush take a few more, more on a loaded machine. */
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(150);
    private static final Pattern VIEW_HEADING = Pattern.compile("(?m)^== (.+?): the intake accepted (\\d+) request");

    @Test
    void theDemoShowsWhatDatadogWouldReceiveWithItsTagsOnceAtTheEnd() throws Exception {
        AgentProcess.CommandOutput run = AgentProcess.builder().args("demo", "--duration", "25s", "--every", "10s")
                .runToEnd(COMMAND_TIMEOUT);
        assertEquals(0, run.exitCode(), run.toString());
        String out = run.stdout();

        List<String> headings = new ArrayList<>();
        Matcher heading = VIEW_HEADING.matcher(out);
        while (heading.find()) {
            headings.add(heading.group(1));
        }
        assertEquals(1, headings.stream().filter(h -> h.startsWith("final view")).count(), out);
        assertTrue(headings.get(headings.size() - 1).startsWith("final view"), "the final view comes last: " + out);
        // Periodic views at 10 s and 20 s; the one at 20 s would only repeat the final view 5 s later.
        assertTrue(headings.size() <= 2, "at most the 10 s view before the final one: " + headings);

        String finalView = out.substring(out.indexOf("\n== final view"));
        assertTrue(finalView.contains("\nThe shutdown flush added "), finalView);
        Matcher totals = Pattern.compile("(?m)^Agent totals: (\\d+) signals sent, (\\d+) retried, (\\d+) dropped")
                .matcher(finalView);
        assertTrue(totals.find(), finalView);
        assertTrue(Long.parseLong(totals.group(1)) > 0, finalView);

        // app's ecs.fargate.cpu.percent, and the tags a reader puts together for it: {task}, {app}, the heading's line.
        String fargate = section(finalView, "ecs.fargate.* - what Datadog's ecs_fargate check sends");
        assertTrue(Pattern.compile("(?m)^  ecs\\.fargate\\.cpu\\.percent +gauge +\\d").matcher(fargate).find(),
                fargate);
        List<String> appCpuTags = new ArrayList<>();
        appCpuTags.addAll(entry(finalView, "  {task}"));
        appCpuTags.addAll(entry(finalView, "  {app}"));
        appCpuTags.addAll(entry(fargate, "  tags  app:"));
        for (String tag : List.of("task_family:shop", "task_version:7", "cluster_name:demo", "region:us-east-1",
                "ecs_container_name:app", "container_name:app", "docker_name:app", "image_tag:1.4.2",
                "short_image:shop-app")) {
            assertTrue(appCpuTags.contains(tag), tag + " not shown for app's ecs.fargate series: " + appCpuTags
                    + "\n" + finalView);
        }
        assertTrue(appCpuTags.stream().anyMatch(t -> t.startsWith("task_arn:arn:aws:ecs:")), appCpuTags.toString());
        assertTrue(fargate.contains("fargate_check") && fargate.contains(" OK, "), fargate);

        String lifecycle = section(finalView, "ECS task lifecycle - events of the ecs-metadata collector");
        assertTrue(lifecycle.contains("Task shop:7 started"), lifecycle);
        assertTrue(lifecycle.contains("Container app started"), lifecycle);
        assertTrue(lifecycle.contains("Container worker killed by SIGKILL (exit code 137), likely out of memory"),
                lifecycle);
        String liveness = section(finalView, "Agent liveness");
        assertTrue(Pattern.compile("(?m)^  datadog\\.agent\\.up +task +OK, \\d+ runs?").matcher(liveness).find(),
                liveness);
        assertTrue(Pattern.compile("(?m)^  datadog\\.agent\\.running +gauge +1$").matcher(liveness).find(), liveness);
        String dogstatsd = section(finalView, "DogStatsD from the app container");
        assertTrue(dogstatsd.contains("shop.checkout.orders") && dogstatsd.contains("shop.checkout.latency"),
                dogstatsd);
        assertTrue(dogstatsd.contains("shop.payments.can_connect  app  OK"), dogstatsd);

        assertFalse(Pattern.compile("(?m)^\\s+pilotfish\\.").matcher(out).find(), "a pilotfish.* line: " + out);
        // A value token such as 2.500e+08 (hex ids in tags, like 7d12...4e19, are not values).
        assertFalse(Pattern.compile("(?m)(^|[ =])-?\\d+(\\.\\d+)?[eE][+-]?\\d+(,|\\s|$)").matcher(finalView).find(),
                "scientific notation: " + finalView);
        assertFalse(out.contains("pilotfish-demo-key"), "the demo's API key was printed");
    }

    @Test
    void stoppedBySignalTheDemoFlushesAndPrintsTheFinalViewOnce() throws Exception {
        // SIGTERM takes the path Ctrl-C takes: Quarkus' shutdown hook stops the agent, not the demo's own thread.
        try (AgentProcess demo = AgentProcess.builder().args("demo", "--duration", "10m", "--every", "5s").start()) {
            assertTrue(demo.awaitLine(line -> line.startsWith("== after "), Duration.ofSeconds(90)),
                    demo.outputText());
            demo.terminate();
            int exitCode = demo.awaitExit(Duration.ofSeconds(90));
            String out = demo.outputText();
            assertTrue(exitCode >= 0, "the demo did not end after SIGTERM: " + out);
            Matcher finalHeading = Pattern.compile("(?m)^== final view after \\d+ s, once the shutdown flush is done")
                    .matcher(out);
            assertTrue(finalHeading.find(), out);
            assertFalse(finalHeading.find(), "a second final view: " + out);
            String finalView = out.substring(out.indexOf("\n== final view"));
            assertFalse(finalView.contains("\n== after "), "a periodic view after the final one: " + out);
            assertTrue(finalView.contains("\nThe shutdown flush added "), finalView);
            assertTrue(Pattern.compile("(?m)^Agent totals: \\d+ signals sent").matcher(finalView).find(), finalView);
        }
    }

    /** A heading's section: from its title line to the next blank line. */
    private static String section(String view, String titleStart) {
        int from = view.indexOf("\n" + titleStart);
        assertTrue(from >= 0, "no section '" + titleStart + "' in\n" + view);
        int to = view.indexOf("\n\n", from + 1);
        return view.substring(from + 1, to < 0 ? view.length() : to);
    }

    /** The words of a labelled entry and its wrapped continuation lines (deeper-indented, without a label). */
    private static List<String> entry(String text, String labelStart) {
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith(labelStart)) {
                String rest = lines[i].substring(labelStart.length());
                List<String> words = new ArrayList<>(List.of(rest.trim().split(" +")));
                int indent = lines[i].length() - rest.stripLeading().length();
                for (int j = i + 1; j < lines.length && lines[j].length() > indent
                        && lines[j].substring(0, indent).isBlank(); j++) {
                    words.addAll(List.of(lines[j].trim().split(" +")));
                }
                return words;
            }
        }
        throw new AssertionError("no line starting with '" + labelStart + "' in\n" + text);
    }
}
