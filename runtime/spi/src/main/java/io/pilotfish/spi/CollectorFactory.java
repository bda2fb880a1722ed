package io.pilotfish.spi;

/** Creates collectors: {@link Scraper}s (pulled on an interval) or {@link Receiver}s (push). */
public interface CollectorFactory<C> extends PluginFactory<C> {

    Collector create(C config, PluginContext context);
}
